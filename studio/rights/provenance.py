"""Content credentials (C2PA) for delivered files: sign a PNG with the studio's chain, read one back.

:func:`sign_png` embeds a C2PA manifest in a PNG (a ``caBX`` chunk), signed ES256 with the
leaf key of the studio's own chain (`studio.rights.certificates`) and the chain leaf-then-root,
offline: no timestamp authority, no network. The manifest holds

- ``claim_generator_info`` ``studio/<version>``, the title, format ``image/png``;
- ``c2pa.actions.v2``: one ``c2pa.created`` action whose ``digitalSourceType`` is
  ``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia``;
- ``org.studio.generation``: the creator's handle, the model version id, the sha256 of that
  version's weights, the generation id, the licence id and the buyer (and, when the file also
  carries an invisible mark, its 64-bit id, `studio.rights.softmark`);
- ``c2pa.training-mining``, what the licence lets others do with the file:

  ==============================  ============  ===============================================
  entry                           use           why
  ==============================  ============  ===============================================
  c2pa.ai_generative_training     constrained   only the creator, to improve their own creation
  c2pa.ai_training                constrained   models on this studio (``constraint_info`` says
                                                so, naming the creator and the licence)
  c2pa.ai_inference               notAllowed    no one else may feed the file to an AI model
  c2pa.data_mining                notAllowed    no one else may mine it
  ==============================  ============  ===============================================

  The assertion speaks to everyone who comes across the file. The buyer owns the output: what
  the buyer may do is the licence's business (its id is in the studio assertion), not this
  assertion's; no value here restricts the owner. The platform itself is "everyone else".

The manifest's data hash covers every byte of the PNG but the manifest itself, so any change to
the pixels, or to any other chunk, breaks it.

A file the creator finished by hand from an AI draft (an edit job, `studio.marketplace.edits`)
is signed with the same chain through the same :func:`sign_png`, given its own actions,
assertions and ingredients instead of a generation claim (:func:`edit_manifest_parts`): the draft
is a ``parentOf`` ingredient, ``c2pa.opened`` names it (its source trainedAlgorithmicMedia), and
``c2pa.edited`` records the human work, its ``digitalSourceType``
``compositeWithTrainedAlgorithmicMedia`` (a person's work over trained algorithmic media: the
result is neither purely AI nor purely human); ``org.studio.edit`` names the job, the draft's
generation and sha256, the creator and the buyer.

:func:`read` asks ``c2pa.Reader`` and turns its report into a :class:`Provenance`: the validation
state verbatim, the studio assertion, the signer, and the problems in plain words. Given this
studio's root (``trust_root``), it is the only trust anchor (``trust.trust_anchors`` replaces
c2pa's built-in list), so "Trusted" means "signed by this studio's chain".

What c2pa-python 0.38.1 (c2pa-rs 0.91.3) says about a file just delivered by a studio:

- with this studio's root as trust anchor: state ``"Trusted"``, no failure; its success list
  starts with ``signingCredential.trusted`` "signing certificate trusted, found in
  [system_anchors] trust anchors", then ``claimSignature.insideValidity``,
  ``claimSignature.validated``, ``assertion.hashedURI.match`` for each assertion and
  ``assertion.dataHash.match`` "data hash valid"; informational ``signingCredential.ocsp.skipped``
  "OCSP fetching skipped". ``signature_info``: ``{"alg": "Es256", "issuer": "studio (local)",
  "common_name": "studio content credentials", ...}`` (c2pa calls the signer's own organization
  "issuer"; the certificate's real issuer, read from the manifest's certificate chain, is
  ``CN=studio local root CA,O=studio (local)``).
- with no trust anchor (any reader who does not know this studio): state ``"Valid"``, one
  failure ``signingCredential.untrusted`` "signing certificate untrusted".
- one byte of the image data flipped: state ``"Invalid"``, failure ``assertion.dataHash.mismatch``
  "asset hash error, name: jumbf manifest, error: hash verification( Hashes do not match )".
- pixels re-saved by PIL (manifest gone): the Reader raises ``ManifestNotFound: no JUMBF data found``.
- signed by another studio's chain, read against this one's root: state ``"Valid"``, failure
  ``signingCredential.untrusted``.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.rights.certificates import Chain

GENERATION_LABEL = "org.studio.generation"
EDIT_LABEL = "org.studio.edit"
TRAINING_LABEL = "c2pa.training-mining"
ACTIONS_LABEL = "c2pa.actions.v2"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"

# c2pa validation codes, in plain words
_PLAIN = {
    "assertion.dataHash.mismatch": "the image bytes changed after signing (hash mismatch)",
    "assertion.boxesHash.mismatch": "the image bytes changed after signing (hash mismatch)",
    "assertion.bmffHash.mismatch": "the image bytes changed after signing (hash mismatch)",
    "assertion.hashedURI.mismatch": "an assertion was changed after signing (hash mismatch)",
    "assertion.missing": "an assertion the claim lists is missing",
    "claimSignature.mismatch": "the manifest's signature does not match its contents",
    "claimSignature.missing": "the manifest is not signed",
    "claimSignature.outsideValidity": "signed outside the signing certificate's validity period",
    "signingCredential.expired": "the signing certificate has expired (or is not yet valid)",
    "signingCredential.revoked": "the signing certificate was revoked",
    "signingCredential.invalid": "the signing certificate is not acceptable for content credentials",
}
UNTRUSTED_STUDIO = "signed by someone other than this studio (the certificate does not chain to this studio's root)"
UNTRUSTED_ANY = "the signer is not in any trust list given (pass this studio's root to check it)"
NO_MANIFEST = "no C2PA manifest"
NOT_STUDIO = "no studio generation assertion (not a file this studio delivered)"


@dataclass(frozen=True)
class Claim:
    """What a delivered file says about itself."""

    creator: str  # the creator's handle
    model_version_id: str
    weights_sha256: str  # of the model version's weights file
    generation_id: str
    licence_id: str
    buyer: str
    title: str | None = None  # defaults to "<generation_id>.png"
    softmark_id: int | None = None  # the 64-bit id of the invisible mark, when the pixels carry one

    def generation_assertion(self) -> dict:
        data = {"creator": self.creator, "model_version_id": self.model_version_id,
                "weights_sha256": self.weights_sha256, "generation_id": self.generation_id,
                "licence_id": self.licence_id, "buyer": self.buyer}
        if self.softmark_id is not None:
            data["softmark_id"] = f"{self.softmark_id:016x}"
        return data

    def training_mining(self) -> dict:
        return training_mining(self.creator, f"licence {self.licence_id}")


def training_mining(creator: str, terms: str) -> dict:
    """The ``c2pa.training-mining`` assertion: only ``creator`` may train on the file (under ``terms``)."""
    only_creator = (f"only the creator {creator}, to improve their own creation models on this "
                    f"studio ({terms}); no one else, the platform included")
    return {"entries": {
        "c2pa.ai_generative_training": {"use": "constrained", "constraint_info": only_creator},
        "c2pa.ai_training": {"use": "constrained", "constraint_info": only_creator},
        "c2pa.ai_inference": {"use": "notAllowed"},
        "c2pa.data_mining": {"use": "notAllowed"},
    }}


@dataclass(frozen=True)
class Ingredient:
    """A file the signed one was made from (e.g. the AI draft a creator finished by hand)."""

    title: str
    data: bytes
    label: str  # how an action's ``ingredientIds`` names it
    format: str = "image/png"
    relationship: str = "parentOf"


def edit_manifest_parts(*, job_id: str, draft: Ingredient, generation_id: str, draft_sha256: str, creator: str,
                        buyer: str, description: str) -> dict:
    """The actions, assertions and ingredient of a file finished by hand from an AI draft, for `sign_png`."""
    version = _version()
    actions = [
        {"action": "c2pa.opened", "parameters": {"ingredientIds": [draft.label]},
         "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": {"name": "studio", "version": version}},
        {"action": "c2pa.edited", "digitalSourceType": COMPOSITE_WITH_TRAINED, "description": description},
    ]
    edit = {"job_id": job_id, "generation_id": generation_id, "draft_sha256": draft_sha256, "creator": creator,
            "buyer": buyer}
    return {"actions": actions, "ingredients": [draft],
            "assertions": [{"label": EDIT_LABEL, "data": edit},
                           {"label": TRAINING_LABEL, "data": training_mining(creator, f"edit job {job_id}")}]}


@dataclass
class Provenance:
    """What a file's content credentials say, and what is wrong with them."""

    state: str | None  # the Reader's validation state verbatim ("Trusted", "Valid", "Invalid"), None without a manifest
    has_manifest: bool
    generation: dict | None = None  # the studio assertion's fields
    edit: dict | None = None  # the edit job's assertion, on a file finished by hand from a draft
    ingredients: list = field(default_factory=list)  # what the file was made from (title, relationship, ...)
    training_mining: dict | None = None
    actions: list = field(default_factory=list)
    claim_generator: str | None = None  # "name/version"
    title: str | None = None
    signer_organization: str | None = None  # the signing certificate's O (c2pa's signature_info "issuer")
    signer_common_name: str | None = None
    signer_issuer: str | None = None  # the signing certificate's issuer DN, from the embedded chain
    signer_chain: list[str] = field(default_factory=list)  # subject DNs, leaf first
    problems: list[str] = field(default_factory=list)  # in plain words
    failures: list[dict] = field(default_factory=list)  # c2pa's failure entries, verbatim
    reader_error: str | None = None  # what the Reader raised, verbatim

    @property
    def trusted(self) -> bool:
        return self.state == "Trusted"

    @property
    def ok(self) -> bool:
        """Signed by this studio, unchanged since, and a studio delivery."""
        return self.trusted and not self.problems

    def as_dict(self) -> dict:
        return asdict(self) | {"trusted": self.trusted, "ok": self.ok}


def _version() -> str:
    try:
        from studio import __version__
    except ImportError:  # pragma: no cover
        return "0"
    return __version__


def manifest_definition(claim: Claim | None, *, title: str | None = None, actions: list[dict] | None = None,
                        assertions: list[dict] = ()) -> dict:
    """A generation's manifest (``claim``); or, with ``claim`` None, the ``actions`` and ``assertions`` given."""
    version = _version()
    if actions is None:
        actions = [{"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                    "softwareAgent": {"name": "studio", "version": version}}]
    listed = [{"label": ACTIONS_LABEL, "data": {"actions": actions}}]
    if claim is not None:
        listed += [{"label": GENERATION_LABEL, "data": claim.generation_assertion()},
                   {"label": TRAINING_LABEL, "data": claim.training_mining()}]
    return {
        "claim_generator_info": [{"name": "studio", "version": version}],
        "title": title or (claim.title if claim else None) or (f"{claim.generation_id}.png" if claim else "image.png"),
        "format": "image/png",
        "assertions": listed + list(assertions),
    }


def _signer(chain: Chain):
    import c2pa

    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.chain_pem, chain.leaf_key_pem, None)  # no TSA
    return c2pa.Signer.from_info(info)


def sign_png(image_png: bytes, claim: Claim | dict | None, chain: Chain, *, title: str | None = None,
             actions: list[dict] | None = None, assertions: list[dict] = (),
             ingredients: list[Ingredient] = ()) -> bytes:
    """The PNG with an embedded C2PA manifest signed by the studio's chain (offline, no timestamp).

    A generation's file passes its ``claim``; a file made from others (an edit) passes ``claim`` None
    with its own ``actions``, ``assertions`` and ``ingredients`` (see `edit_manifest_parts`)."""
    import c2pa

    if isinstance(claim, dict):
        claim = Claim(**claim)
    if not image_png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("sign_png takes PNG bytes")
    settings = {"builder": {"thumbnail": {"enabled": False}},  # the file is its own thumbnail
                "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    with c2pa.Context.from_dict(settings) as context, \
            c2pa.Builder(manifest_definition(claim, title=title, actions=actions, assertions=assertions),
                         context=context) as builder, \
            _signer(chain) as signer:
        for ing in ingredients:
            builder.add_ingredient({"title": ing.title, "relationship": ing.relationship, "label": ing.label},
                                   ing.format, io.BytesIO(ing.data))
        out = io.BytesIO()
        builder.sign(signer, "image/png", io.BytesIO(image_png), out)
    return out.getvalue()


# --- reading -------------------------------------------------------------------------------------


def _mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def _pem(trust_root: Chain | bytes | str | Path) -> str:
    if isinstance(trust_root, Chain):
        return trust_root.root_cert_pem.decode("ascii")
    if isinstance(trust_root, Path):
        return trust_root.read_text()
    return trust_root.decode("ascii") if isinstance(trust_root, bytes) else trust_root


def _png_manifest_store(data: bytes) -> bytes | None:
    """The JUMBF manifest store of a PNG (its caBX chunk), or None."""
    import struct

    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    i = 8
    while i + 8 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        if data[i + 4:i + 8] == b"caBX":
            return data[i + 8:i + 8 + n]
        i += 12 + n
    return None


def _signer_certificates(data: bytes) -> list:
    """The certificates of the active manifest's signature (its COSE x5chain), leaf first; PNG only.

    The chain is DER inside CBOR byte strings after the last ``c2pa.signature`` box label; each
    candidate is kept only if it parses as an X.509 certificate.
    """
    from cryptography import x509

    store = _png_manifest_store(data)
    if store is None:
        return []
    start = store.rfind(b"c2pa.signature")
    if start < 0:
        return []
    certs, i = [], start
    while (i := store.find(b"\x30\x82", i)) >= 0:
        end = i + 4 + int.from_bytes(store[i + 2:i + 4], "big")
        try:
            certs.append(x509.load_der_x509_certificate(store[i:end]))
            i = end
        except ValueError:
            i += 1
    return certs


def _problem(entry: dict, anchored: bool) -> str:
    code = entry.get("code", "")
    if code == "signingCredential.untrusted":
        return UNTRUSTED_STUDIO if anchored else UNTRUSTED_ANY
    return _PLAIN.get(code) or f"{code}: {entry.get('explanation', '')}".strip(": ")


def read(source: bytes | str | Path, trust_root: Chain | bytes | str | Path | None = None) -> Provenance:
    """What a file's content credentials say. ``trust_root``: this studio's root (its Chain or PEM)."""
    import c2pa

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_root is not None:
        settings["trust"] = {"trust_anchors": _pem(trust_root)}
    try:
        with c2pa.Context.from_dict(settings) as context, \
                c2pa.Reader(_mime(data), io.BytesIO(data), context=context) as reader:
            state = reader.get_validation_state()
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in text:
            return Provenance(state=None, has_manifest=False, problems=[NO_MANIFEST], reader_error=text)
        return Provenance(state=None, has_manifest=False, reader_error=text,
                          problems=[f"the file's content credentials could not be read ({text})"])

    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    assertions = {a.get("label"): a.get("data") for a in active.get("assertions", [])}
    failures = list(store.get("validation_results", {}).get("activeManifest", {}).get("failure", []))
    if not active:  # a store whose manifests could not be parsed
        failures = failures or list(store.get("validation_status", []))
    problems = [_problem(f, trust_root is not None) for f in failures]
    if GENERATION_LABEL not in assertions and EDIT_LABEL not in assertions:
        problems.append(NOT_STUDIO)
    problems = list(dict.fromkeys(problems))  # same words once
    info = active.get("signature_info", {})
    generator = (active.get("claim_generator_info") or [{}])[0]
    certs = _signer_certificates(data)
    actions = (assertions.get(ACTIONS_LABEL) or assertions.get("c2pa.actions") or {}).get("actions", [])
    return Provenance(
        state=state, has_manifest=True,
        generation=assertions.get(GENERATION_LABEL), training_mining=assertions.get(TRAINING_LABEL),
        edit=assertions.get(EDIT_LABEL), ingredients=list(active.get("ingredients", [])),
        actions=actions,
        claim_generator=f"{generator.get('name')}/{generator.get('version')}" if generator else None,
        title=active.get("title"),
        signer_organization=info.get("issuer"), signer_common_name=info.get("common_name"),
        signer_issuer=certs[0].issuer.rfc4514_string() if certs else None,
        signer_chain=[c.subject.rfc4514_string() for c in certs],
        problems=problems, failures=failures,
    )
