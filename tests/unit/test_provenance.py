"""Every delivered file proves where it came from: the studio's chain, C2PA manifests, the invisible mark."""

from __future__ import annotations

import io
import random
import stat
import struct

import numpy as np
import pytest
from PIL import Image

from studio.models import world
from studio.rights import certificates, provenance, softmark

KEY = b"studio-softmark-test-key-0123456"


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(img, quality: int = 90):
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _stripped(img):
    """The pixels alone: a PNG re-save keeps no manifest, text chunk or other metadata."""
    return Image.open(io.BytesIO(_png(Image.fromarray(np.asarray(img)))))


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return certificates.ensure_chain(tmp_path_factory.mktemp("home") / "keys")


@pytest.fixture(scope="module")
def claim():
    return provenance.Claim(creator="ada", model_version_id="mv_123", weights_sha256="ab" * 32,
                            generation_id="gen_456", licence_id="lic_789", buyer="bob@example.com",
                            softmark_id=0x0123456789ABCDEF)


@pytest.fixture(scope="module")
def delivered(chain, claim):
    return provenance.sign_png(_png(world.render(11)[0]), claim, chain)


# --- the chain -----------------------------------------------------------------------------------


def test_the_chain_is_made_once_with_owner_only_keys_and_a_leaf_issued_by_the_root(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    first = certificates.ensure_chain(tmp_path / "keys")
    again = certificates.ensure_chain(tmp_path / "keys")
    assert (again.leaf_cert_pem, again.root_cert_pem, again.leaf_key_pem) == \
        (first.leaf_cert_pem, first.root_cert_pem, first.leaf_key_pem)
    assert first.chain_pem.startswith(first.leaf_cert_pem.rstrip(b"\n")) and first.chain_pem.endswith(first.root_cert_pem)
    folder = first.folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (certificates.LEAF_KEY, certificates.ROOT_KEY):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert not [p for p in (tmp_path / "keys").iterdir() if p.name.startswith(".c2pa-")]  # no temporary left

    leaf, root = first.leaf, first.root
    assert leaf.issuer == root.subject and leaf.issuer != leaf.subject  # not self-signed
    leaf.verify_directly_issued_by(root)
    for cert in (leaf, root):
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "studio (local)"
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert "PRIVATE KEY" in first.leaf_key_pem.decode() and "PRIVATE" not in repr(first)


def test_a_home_gets_its_chain_beside_its_ledger_key(tmp_path):
    chain = certificates.for_home(tmp_path / "home")
    assert chain.folder == tmp_path / "home" / "keys" / "c2pa"
    assert certificates.for_home(tmp_path / "home").leaf_cert_pem == chain.leaf_cert_pem


# --- content credentials -------------------------------------------------------------------------


def test_a_delivered_png_reads_back_trusted_with_every_assertion(delivered, chain, claim):
    original = world.render(11)[0]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(delivered)).convert("RGB")), np.asarray(original))

    p = provenance.read(delivered, trust_root=chain)
    assert p.state == "Trusted" and p.trusted and p.ok and p.problems == [] and p.failures == []
    assert p.generation == {"creator": "ada", "model_version_id": "mv_123", "weights_sha256": "ab" * 32,
                            "generation_id": "gen_456", "licence_id": "lic_789", "buyer": "bob@example.com",
                            "softmark_id": "0123456789abcdef"}
    assert p.actions[0]["action"] == "c2pa.created"
    assert p.actions[0]["digitalSourceType"] == provenance.TRAINED_ALGORITHMIC_MEDIA
    entries = p.training_mining["entries"]
    assert {k: v["use"] for k, v in entries.items()} == {
        "c2pa.ai_generative_training": "constrained", "c2pa.ai_training": "constrained",
        "c2pa.ai_inference": "notAllowed", "c2pa.data_mining": "notAllowed"}
    assert "only the creator ada" in entries["c2pa.ai_training"]["constraint_info"]
    assert p.claim_generator.startswith("studio/") and p.title == "gen_456.png"
    assert p.signer_organization == "studio (local)"
    assert p.signer_issuer == chain.root.subject.rfc4514_string() != p.signer_chain[0]
    assert len(p.signer_chain) == 2


def test_without_the_studio_root_a_delivered_file_is_valid_but_not_trusted(delivered):
    p = provenance.read(delivered)
    assert p.state == "Valid" and not p.trusted
    assert p.problems == [provenance.UNTRUSTED_ANY]
    assert [f["code"] for f in p.failures] == ["signingCredential.untrusted"]


def test_one_flipped_byte_of_image_data_is_a_hash_mismatch(delivered, chain, tmp_path):
    data, i = bytearray(delivered), 8
    while data[i + 4:i + 8] != b"IDAT":
        i += 12 + struct.unpack(">I", data[i:i + 4])[0]
    data[i + 8 + struct.unpack(">I", data[i:i + 4])[0] // 2] ^= 0x01
    path = tmp_path / "changed.png"
    path.write_bytes(bytes(data))
    p = provenance.read(path, trust_root=chain)  # a path works as well as bytes
    assert p.state == "Invalid" and not p.ok
    assert "the image bytes changed after signing (hash mismatch)" in p.problems
    assert "assertion.dataHash.mismatch" in [f["code"] for f in p.failures]


def test_pixels_resaved_without_the_manifest_report_no_manifest(delivered, chain):
    p = provenance.read(_png(Image.open(io.BytesIO(delivered))), trust_root=chain)
    assert not p.has_manifest and p.state is None and p.problems == ["no C2PA manifest"]
    assert "ManifestNotFound" in p.reader_error


def test_a_file_signed_by_another_studio_is_not_trusted_against_this_root(tmp_path, chain, claim):
    other = certificates.ensure_chain(tmp_path / "elsewhere" / "keys")
    assert other.root_cert_pem != chain.root_cert_pem
    foreign = provenance.sign_png(_png(world.render(12)[0]), claim, other)
    p = provenance.read(foreign, trust_root=chain)
    assert not p.trusted and p.state == "Valid"
    assert provenance.UNTRUSTED_STUDIO in p.problems
    assert provenance.read(foreign, trust_root=other).trusted  # but it is trusted by its own studio


def test_sign_png_refuses_what_is_not_a_png(chain, claim):
    with pytest.raises(ValueError):
        provenance.sign_png(b"\xff\xd8 not a png", claim, chain)


# --- the invisible mark --------------------------------------------------------------------------


def test_a_mark_round_trips_at_any_size_and_mode_and_is_invisible():
    rng = random.Random(1)
    base = world.render(3)[0]
    for img in (base, base.resize((97, 64)), base.resize((512, 512), Image.LANCZOS), base.convert("L"),
                base.convert("RGBA")):
        payload = rng.getrandbits(64)
        marked = softmark.embed(img, payload, KEY)
        assert marked.size == img.size and marked.mode == img.mode
        assert softmark.extract(marked, KEY) == payload
        assert softmark.psnr(img, marked) >= 38.0
    assert softmark.extract(softmark.embed(base, 0, KEY), KEY) == 0
    assert softmark.extract(softmark.embed(base, 2 ** 64 - 1, KEY), KEY) == 2 ** 64 - 1


def test_the_mark_survives_stripping_and_jpeg_90():
    """Measured: 216/216 for both (200 renders at 64x64, 8 at 256, 8 at 512); asserted with a margin."""
    rng = random.Random(2)
    styles = list(world.STYLES.values())
    images = [world.render(1000 + i, styles[i % len(styles)])[0] for i in range(40)]
    images += [world.render(2000)[0].resize((256, 256), Image.LANCZOS),
               world.render(2001)[0].resize((512, 512), Image.LANCZOS)]
    stripped = jpeg = 0
    psnrs = []
    for img in images:
        payload = rng.getrandbits(64)
        marked = softmark.embed(img, payload, KEY)
        psnrs.append(softmark.psnr(img, marked))
        stripped += softmark.extract(_stripped(marked), KEY) == payload
        jpeg += softmark.extract(_jpeg(marked), KEY) == payload
    assert stripped == len(images)  # lossless: every one
    assert jpeg >= 0.95 * len(images)
    assert min(psnrs) >= 38.0


def test_unmarked_images_and_wrong_keys_give_none():
    rng = np.random.default_rng(3)
    styles = list(world.STYLES.values())
    images = [world.render(3000 + i, styles[i % len(styles)])[0] for i in range(150)]
    images += [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(50)]
    images += [Image.new("RGB", (64, 64), tuple(int(v) for v in rng.integers(0, 256, 3))) for _ in range(50)]
    ramp = np.linspace(0, 255, 64)
    images += [Image.fromarray(np.stack([np.add.outer(ramp * a, ramp * (1 - a))] * 3, -1).clip(0, 255)
                               .astype(np.uint8)) for a in np.linspace(0, 1, 50)]
    assert len(images) == 300
    assert [softmark.extract(img, KEY) for img in images] == [None] * 300

    marked = softmark.embed(world.render(4)[0], 42, KEY)
    assert softmark.extract(marked, b"another studio's key") is None
    assert softmark.extract(_jpeg(marked), b"another studio's key") is None


def test_images_under_64_pixels_cannot_be_marked():
    small = world.render(5)[0].resize((48, 48))
    with pytest.raises(ValueError):
        softmark.embed(small, 1, KEY)
    assert softmark.extract(small, KEY) is None
    with pytest.raises(ValueError):
        softmark.embed(world.render(5)[0], 2 ** 64, KEY)
