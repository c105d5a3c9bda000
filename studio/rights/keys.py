"""The studio's signing key: kept outside the database, in ``HOME/keys/`` (folder 0700, file 0600).

It signs the ledger's head, so that a chain rewritten, truncated or emptied in the database
(where the head also lives) no longer carries a valid signature. It is an ECDSA P-256 key
(ES256), the kind a C2PA signing certificate can be issued for. The C2PA chain itself
(`studio.rights.certificates`) has keys of its own, so that the key a native library signs
every delivered file with is never the one that vouches for the ledger.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

KEY_FILE = "studio-signing-key.pem"


class SigningKey:
    def __init__(self, private_key, path: Path):
        self._key = private_key
        self.path = path

    def sign(self, data: bytes) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return base64.b64encode(self._key.sign(data, ec.ECDSA(hashes.SHA256()))).decode("ascii")

    def verify(self, data: bytes, signature: str) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        try:
            self._key.public_key().verify(base64.b64decode(signature), data, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            return False

    @property
    def private_key(self):
        """The key itself, for a certificate issued to it (never printed, never stored elsewhere)."""
        return self._key


def key_path(home: Path) -> Path:
    return Path(home) / "keys" / KEY_FILE


def load(home: Path) -> SigningKey | None:
    """The home's key, or None if it has none."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    path = key_path(home)
    if not path.is_file():
        return None
    return SigningKey(load_pem_private_key(path.read_bytes(), password=None), path)


def create(home: Path) -> SigningKey:
    """Make the home's key; refuses to replace one that exists."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = key_path(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_owner_only(path, pem)  # fails if a key is already there
    return SigningKey(key, path)


def write_owner_only(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only (0600); refuses to replace an existing file.

    Also used for the C2PA certificate keys (`studio.rights.certificates`).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
