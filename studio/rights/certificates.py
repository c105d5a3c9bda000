"""The studio's own certificate chain for content credentials (C2PA), made offline.

A home gets, once, in ``HOME/keys/c2pa/``:

- ``root-ca.pem`` / ``root-ca-key.pem``: a self-signed root CA (CA:true, pathlen 0, key usage
  keyCertSign + cRLSign, critical), O="studio (local)". It signs nothing but the leaf; a reader
  who trusts this studio adds ``root-ca.pem`` to its trust anchors.
- ``signing-cert.pem`` / ``signing-key.pem``: the end-entity certificate every delivered file is
  signed with, issued by that root (not self-signed: c2pa rejects a self-signed signer). Key
  usage digitalSignature (critical), CA:false, extended key usage emailProtection and
  documentSigning (1.3.6.1.5.5.7.3.36), two of the purposes c2pa-rs accepts for claim signing
  (the others are timeStamping and OCSPSigning, which must stand alone, and the Microsoft/C2PA
  claim-signing OIDs), plus subject and authority key identifiers.

All keys are ECDSA P-256 (ES256), written 0600 with `keys.write_owner_only`, in a folder 0700.
The four files are made in a temporary folder beside the final one and renamed into place in
one step, so a crash or a second process never leaves half a chain: the first rename wins and
the loser loads the winner's chain. The chain's keys are not the home's ledger key
(`studio.rights.keys`): the C2PA key is handed to a native library for every delivery.

The root is valid for 30 years and the leaf for 10. Files are signed without a timestamp
authority (offline), so a reader checks the leaf against its own clock: after the leaf expires,
earlier deliveries read as expired rather than Valid; a new leaf can be issued from the kept
root key (`issue_leaf`) and the old files re-signed on request.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from studio.rights import keys

ORGANIZATION = "studio (local)"
ROOT_NAME = "studio local root CA"
LEAF_NAME = "studio content credentials"
CHAIN_DIR = "c2pa"
ROOT_CERT = "root-ca.pem"
ROOT_KEY = "root-ca-key.pem"
LEAF_CERT = "signing-cert.pem"
LEAF_KEY = "signing-key.pem"
ROOT_YEARS = 30
LEAF_YEARS = 10
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"  # id-kp-documentSigning (RFC 9336)


@dataclass(frozen=True)
class Chain:
    """The signing certificate, its issuer, and the signing key (PEM bytes and where they live)."""

    folder: Path
    leaf_cert_pem: bytes
    root_cert_pem: bytes
    leaf_key_pem: bytes

    @property
    def leaf_cert_path(self) -> Path:
        return self.folder / LEAF_CERT

    @property
    def root_cert_path(self) -> Path:
        return self.folder / ROOT_CERT

    @property
    def leaf_key_path(self) -> Path:
        return self.folder / LEAF_KEY

    @property
    def chain_pem(self) -> bytes:
        """Leaf then root: what a signer embeds in each manifest."""
        return self.leaf_cert_pem.rstrip(b"\n") + b"\n" + self.root_cert_pem

    @property
    def leaf(self):
        from cryptography import x509

        return x509.load_pem_x509_certificate(self.leaf_cert_pem)

    @property
    def root(self):
        from cryptography import x509

        return x509.load_pem_x509_certificate(self.root_cert_pem)

    def __repr__(self) -> str:  # never the key
        return f"Chain({str(self.folder)!r})"


def chain_dir(keys_dir: Path) -> Path:
    return Path(keys_dir) / CHAIN_DIR


def for_home(home: Path) -> Chain:
    """The chain of a studio home (``HOME/keys/c2pa``), made on first use. For init and the context."""
    return ensure_chain(keys.key_path(home).parent)


def ensure_chain(keys_dir: Path, organization: str = ORGANIZATION) -> Chain:
    """The chain under ``keys_dir``: created the first time, loaded every time after."""
    keys_dir = Path(keys_dir)
    final = chain_dir(keys_dir)
    if final.is_dir():
        return load(keys_dir)
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    tmp = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=keys_dir))  # 0700
    try:
        _write_chain(tmp, organization)
        try:
            os.rename(tmp, final)  # atomic; fails if another process made the chain meanwhile
        except OSError:
            if not final.is_dir():
                raise
        else:
            _fsync_dir(keys_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return load(keys_dir)


def load(keys_dir: Path) -> Chain:
    """The chain already under ``keys_dir`` (raises FileNotFoundError if it is missing or partial)."""
    folder = chain_dir(keys_dir)
    return Chain(folder=folder,
                 leaf_cert_pem=(folder / LEAF_CERT).read_bytes(),
                 root_cert_pem=(folder / ROOT_CERT).read_bytes(),
                 leaf_key_pem=(folder / LEAF_KEY).read_bytes())


# --- issuing -------------------------------------------------------------------------------------


def _name(common_name: str, organization: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _validity(years: int) -> tuple[_dt.datetime, _dt.datetime]:
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    return now - _dt.timedelta(minutes=5), now + _dt.timedelta(days=365 * years + years // 4)


def issue_root(organization: str = ORGANIZATION):
    """A new self-signed root CA: (key, certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = _new_key()
    name = _name(ROOT_NAME, organization)
    start, end = _validity(ROOT_YEARS)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue_leaf(root_key, root_cert, organization: str = ORGANIZATION):
    """A new end-entity signing certificate issued by ``root_cert``: (key, certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

    key = _new_key()
    start, end = _validity(LEAF_YEARS)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (x509.CertificateBuilder()
            .subject_name(_name(LEAF_NAME, organization)).issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(min(end, root_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  ObjectIdentifier(DOCUMENT_SIGNING)]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    return key, cert


def _write_public(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_chain(folder: Path, organization: str) -> None:
    from cryptography.hazmat.primitives import serialization

    root_key, root_cert = issue_root(organization)
    leaf_key, leaf_cert = issue_leaf(root_key, root_cert, organization)
    keys.write_owner_only(folder / ROOT_KEY, _key_pem(root_key))
    keys.write_owner_only(folder / LEAF_KEY, _key_pem(leaf_key))
    _write_public(folder / ROOT_CERT, root_cert.public_bytes(serialization.Encoding.PEM))
    _write_public(folder / LEAF_CERT, leaf_cert.public_bytes(serialization.Encoding.PEM))
    _fsync_dir(folder)
