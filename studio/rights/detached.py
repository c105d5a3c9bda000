"""Signed provenance for files C2PA cannot carry a manifest in (plain text): a detached record.

    record = sign(text_bytes, claim, chain, media_type="text/plain; charset=utf-8")   # JSON bytes
    check = verify(text_bytes, record, trust_root=chain.root_cert_pem)             # Verdict

c2pa-python signs and embeds manifests in the media types it parses (PNG, JPEG, ...), and plain
text is not one of them, so a delivered text gets a sidecar ``<name>.provenance.json`` instead:
the same generation and training-and-mining assertions as an image's manifest, bound to the
file's sha256, signed ES256 with the same leaf key and carrying the same chain (leaf, root) as
the studio's C2PA signer. Anyone with the studio's root certificate can check it with standard
X.509 and ECDSA, no studio code needed: the signature is over the record's ``payload`` serialised
as canonical JSON (sorted keys, no spaces, UTF-8).

Invariant: ``verify`` says ok only if the file's hash is the signed one, the payload is unchanged,
the leaf signed it, and the leaf was issued by the trusted root.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

FORMAT = "studio-detached-provenance/1"


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(data: bytes, claim, chain, *, media_type: str, title: str | None = None,
         assertions: dict | None = None) -> bytes:
    """The signed record (JSON bytes) for ``data``: a generation's under ``claim`` (a `provenance.Claim`), or,
    with ``claim`` None, the ``assertions`` given (e.g. an edit job's, naming its draft as ingredient)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if claim is not None:
        assertions = {"generation": claim.generation_assertion(), "training_mining": claim.training_mining(),
                      "digital_source_type": "trainedAlgorithmicMedia"}
    payload = {
        "asset": {"sha256": hashlib.sha256(data).hexdigest(), "media_type": media_type,
                  "title": title or (claim.title if claim is not None else None)},
        **(assertions or {}),
        "signed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    key = serialization.load_pem_private_key(chain.leaf_key_pem, password=None)
    signature = key.sign(_canonical(payload), ec.ECDSA(hashes.SHA256()))
    record = {"format": FORMAT, "alg": "ES256", "payload": payload,
              "x5chain": [chain.leaf_cert_pem.decode(), chain.root_cert_pem.decode()],
              "signature": base64.b64encode(signature).decode()}
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class Verdict:
    signed: bool = False  # the record's signature checks with its own leaf certificate
    trusted: bool = False  # ... and that leaf was issued by the trusted root
    matches: bool = False  # the file's sha256 is the one signed
    claim: dict = field(default_factory=dict)  # the generation assertion, if any
    edit: dict = field(default_factory=dict)  # an edit job's assertion, if any
    signer: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signed and self.trusted and self.matches and not self.problems

    def as_dict(self) -> dict:
        return {"signed": self.signed, "trusted": self.trusted, "matches": self.matches, "ok": self.ok,
                "claim": self.claim, "edit": self.edit, "signer": self.signer, "problems": self.problems}


def verify(data: bytes, record: bytes | str, trust_root: bytes | None = None) -> Verdict:
    """Check ``data`` against its detached record; every failed check is one plain sentence in ``problems``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    v = Verdict()
    try:
        rec = json.loads(record)
        payload, chain = rec["payload"], rec["x5chain"]
        if rec.get("format") != FORMAT or rec.get("alg") != "ES256":
            raise ValueError(f"not a {FORMAT} ES256 record")
        leaf, root = (x509.load_pem_x509_certificate(pem.encode()) for pem in chain[:2])
        signature = base64.b64decode(rec["signature"], validate=True)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        v.problems.append(f"the provenance record cannot be read ({exc})")
        return v
    v.claim, v.edit, v.signer = payload.get("generation", {}), payload.get("edit", {}), leaf.subject.rfc4514_string()
    try:
        leaf.public_key().verify(signature, _canonical(payload), ec.ECDSA(hashes.SHA256()))
        v.signed = True
    except InvalidSignature:
        v.problems.append("the record's signature does not match its contents: it was changed after signing")
    anchor = x509.load_pem_x509_certificate(trust_root) if trust_root else None
    try:
        leaf.verify_directly_issued_by(root)
        v.trusted = anchor is not None and root == anchor
    except (ValueError, TypeError, InvalidSignature):
        v.problems.append("the signing certificate was not issued by the certificate named as its root")
    if anchor is not None and root != anchor:
        v.problems.append("signed by a certificate chain this studio does not trust")
    v.matches = hashlib.sha256(data).hexdigest() == payload.get("asset", {}).get("sha256")
    if not v.matches:
        v.problems.append("the file is not the one signed: its sha256 differs (edited or another file)")
    return v
