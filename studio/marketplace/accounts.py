"""Buyer accounts: the login behind the storefront, by email and password.

A buyer's email is their identity everywhere else (previews, purchases, licences and edit jobs
record it), so an account is that email plus a password hash, nothing more. The password is
kept only as a salted scrypt hash (`hashlib.scrypt`, a fresh 16-byte salt per account, its cost
stored beside it so it can be raised later) and compared in constant time; it is never stored,
logged or put in an error. An unknown email costs the same hashing as a wrong password, so the
time a login takes does not say which accounts exist.

Accounts move no rights or money, so they write no ledger event.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from studio.context import StudioContext
from studio.errors import StudioError
from studio.marketplace.generations import EMAIL_RE
from studio.store.tables import BuyerAccount

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # scrypt reads all of it: a cap keeps one login from costing a lot
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MB and a few tens of ms per hash
SALT_BYTES, KEY_BYTES = 16, 32


def normal_email(email: str) -> str:
    """The email as accounts store it (trimmed, lower-case), or a clear error."""
    text = (email or "").strip().lower()
    if not EMAIL_RE.match(text) or len(text) > 320:
        raise StudioError(f"a buyer account needs an email address such as ana@example.com, not {email!r}")
    return text


def check_password(password: str) -> None:
    if not isinstance(password, str) or not password.strip():
        raise StudioError("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise StudioError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise StudioError(f"the password is too long: at most {MAX_PASSWORD_CHARS} characters")
    if len(set(password)) < 3:
        raise StudioError("the password is too weak: use more than two different characters")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024,
                          dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$SALT$HASH`` (hex) with a fresh salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Does ``password`` hash to ``stored``? Compared in constant time."""
    kind, n, r, p, salt, key = stored.split("$")
    if kind != "scrypt":
        return False
    return hmac.compare_digest(_scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p)), bytes.fromhex(key))


_DUMMY = hash_password(secrets.token_urlsafe(16))  # what an unknown email is checked against


class Accounts:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx

    def register(self, email: str, password: str) -> str:
        """Open a buyer account; returns the email as stored (the buyer's identity from now on)."""
        email = normal_email(email)
        check_password(password)
        stored = hash_password(password)
        try:
            with self.ctx.transaction() as s:
                if s.scalar(select(BuyerAccount.id).where(BuyerAccount.email == email)) is not None:
                    raise StudioError(f"there is already a buyer account for {email}")
                s.add(BuyerAccount(email=email, password_hash=stored, created_at=self.ctx.now()))
        except IntegrityError:  # registered at the same moment by another process
            raise StudioError(f"there is already a buyer account for {email}") from None
        return email

    def authenticate(self, email: str, password: str) -> bool:
        """True for a known email with its password; False otherwise (never an error, never a hint which)."""
        try:
            email = normal_email(email)
        except StudioError:
            email = None
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return False
        stored = None
        if email is not None:
            with self.ctx.reading() as s:
                stored = s.scalar(select(BuyerAccount.password_hash).where(BuyerAccount.email == email))
        ok = password_matches(password, stored or _DUMMY)
        return ok and stored is not None

    def list(self) -> list[str]:
        """Every buyer account's email, oldest first."""
        with self.ctx.reading() as s:
            return list(s.scalars(select(BuyerAccount.email).order_by(BuyerAccount.created_at, BuyerAccount.id)))
