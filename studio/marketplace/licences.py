"""What a purchase hands over: the licence's terms, its certificate, and the delivered file.

The delivered file is the clean full-resolution image (no visible watermark) with an invisible
mark carrying the purchase's 64-bit id (`studio.rights.softmark`, under the home's mark key
``HOME/keys/c2pa/softmark.key``: 32 random bytes, 0600, made on first need), then signed with
C2PA by the home's chain (`studio.rights.provenance`, `studio.rights.certificates`). Its bytes
are kept as a blob, so a later download is byte for byte the same file.

The certificate is JSON (canonical: sorted keys, two-space indent; the text is stored on the
licence row) with an HTML rendering made from it: the asset's sha256, buyer, creator, model
version, date, price, the rights granted, non-exclusivity, and the command that checks the file.

Files reach the buyer's folder crash-safely: `stage` writes each under a temporary name
(``.tmp-*``) in the folder and fsyncs it, `place` renames them into place and fsyncs the folder.
A purchase stages before its transaction commits and places after; `discard` removes what a
failed purchase staged.
"""

from __future__ import annotations

import html
import io
import json
import os
import secrets
import tempfile
from pathlib import Path

from studio.money import dollars
from studio.rights import certificates, keys
from studio.rights.provenance import Claim
from studio.store.blobs import fsync_dir

MARK_KEY_FILE = "softmark.key"
NOTICE = ("Outputs are non-exclusive: the model that made this output may make similar ones for other "
          "buyers. This exact output (image or text) is sold once, and you own it.")
RIGHTS = {
    "buyer": "The buyer owns this output and may use, change, copy, publish and sell it, commercially or not.",
    "creator": "The creator may use this output to improve their own creation models on this studio; "
               "no one else may train on it, the platform included.",
    "non_exclusive": NOTICE,
}


def terms() -> dict:
    """The licence's terms, as stored on the licence row."""
    return {"owner": "buyer", "creator_may_train_own_models": True, "exclusive": False, "rights": dict(RIGHTS)}


def mark_key(home: Path, create: bool = True) -> bytes | None:
    """The home's mark key, made on first need (None if it has none and ``create`` is False)."""
    folder = certificates.chain_dir(keys.key_path(home).parent)
    path = folder / MARK_KEY_FILE
    if path.is_file():
        return path.read_bytes()
    if not create:
        return None
    certificates.for_home(home)  # the folder comes with the chain
    tmp = folder / f".tmp-{MARK_KEY_FILE}-{secrets.token_hex(4)}"
    keys.write_owner_only(tmp, secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # atomic and never replaces: the first process's key wins
        fsync_dir(folder)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


def deliverable(clean_png: bytes, claim: Claim, key: bytes, chain) -> bytes:
    """The clean image with the purchase's mark in its pixels, then C2PA-signed."""
    from PIL import Image

    from studio.rights import provenance, softmark

    img = Image.open(io.BytesIO(clean_png))
    img.load()
    marked = softmark.embed(img, claim.softmark_id, key)
    buf = io.BytesIO()
    marked.save(buf, format="PNG")
    return provenance.sign_png(buf.getvalue(), claim, chain)


def file_names(generation_id: str) -> dict[str, str]:
    return {"image": f"{generation_id}.png", "json": f"{generation_id}.licence.json",
            "html": f"{generation_id}.licence.html"}


def certificate(*, licence_id: str, purchase_id: str, generation_id: str, asset_sha256: str, buyer: str,
                creator: str, creator_name: str, model_version_id: str, version_number: int, weights_sha256: str,
                date: str, price_cents: int, mark_id: str | None, text: bool = False) -> dict:
    name = f"{generation_id}.txt" if text else file_names(generation_id)["image"]
    credentials = (f"a detached provenance record ({generation_id}.provenance.json) signed by this studio's chain; "
                   "a statistical watermark keyed to the model is in the wording" if text else
                   "C2PA manifest signed by this studio's chain; an invisible mark carries mark_id")
    return {
        "licence": licence_id, "purchase": purchase_id, "generation": generation_id,
        "asset": {"file": name, "sha256": asset_sha256, "format": "text/plain" if text else "image/png"},
        "buyer": buyer, "creator": {"handle": creator, "name": creator_name},
        "model_version": {"id": model_version_id, "number": version_number, "weights_sha256": weights_sha256},
        "date": date, "price": {"cents": price_cents, "currency": "USD", "shown": dollars(price_cents)},
        "rights": dict(RIGHTS), "exclusive": False, "mark_id": mark_id,
        "content_credentials": credentials,
        "verify": f"studio rights verify {name}",
        "identify": f"studio rights identify {'--text ' if text else ''}{name}",
    }


def certificate_json(cert: dict) -> str:
    return json.dumps(cert, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def certificate_html(cert: dict) -> str:
    e = html.escape
    rows = [("Licence", cert["licence"]), ("Purchase", cert["purchase"]), ("Generation", cert["generation"]),
            ("File", cert["asset"]["file"]), ("File sha256", cert["asset"]["sha256"]), ("Buyer", cert["buyer"]),
            ("Creator", f"{cert['creator']['name']} ({cert['creator']['handle']})"),
            ("Model version", f"v{cert['model_version']['number']} ({cert['model_version']['id']})"),
            ("Weights sha256", cert["model_version"]["weights_sha256"]), ("Date (UTC)", cert["date"]),
            ("Price", f"{cert['price']['shown']} {cert['price']['currency']}"), ("Mark id", cert["mark_id"] or "none (a text carries the model's watermark in its wording)")]
    table = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    rights = "\n".join(f"<li>{e(text)}</li>" for text in cert["rights"].values())
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Licence {e(cert['licence'])}</title></head>\n<body>\n"
            f"<h1>Licence certificate</h1>\n<table>\n{table}\n</table>\n"
            f"<h2>Rights granted</h2>\n<ul>\n{rights}\n</ul>\n"
            f"<p><strong>Non-exclusive.</strong> {e(NOTICE)}</p>\n"
            f"<p>Check the file: <code>{e(cert['verify'])}</code> (content credentials, file hash and mark); "
            f"find a copy's origin: <code>{e(cert['identify'])}</code>.</p>\n</body></html>\n")


def files(generation_id: str, asset: bytes, certificate_text: str, record: bytes | None = None) -> dict[str, bytes]:
    """The files a buyer gets, by name: the asset (a signed PNG, or a text with its provenance ``record``)
    and the licence certificate as JSON and HTML."""
    names = file_names(generation_id)
    cert = json.loads(certificate_text)
    first = ({cert["asset"]["file"]: asset, f"{generation_id}.provenance.json": record} if record is not None
             else {names["image"]: asset})
    return {**first, names["json"]: certificate_text.encode("utf-8"), names["html"]: certificate_html(cert).encode("utf-8")}


def stage(folder: Path, named: dict[str, bytes]) -> list[tuple[Path, Path]]:
    """Write each file under a temporary name in ``folder`` (fsync'd): [(temporary, final)]."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in named.items():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".tmp-{name}-")
            staged.append((Path(tmp), folder / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        discard(staged)
        raise
    return staged


def place(staged: list[tuple[Path, Path]]) -> list[Path]:
    """Rename staged files into place (each rename atomic), then make the renames durable."""
    for tmp, final in staged:
        os.replace(tmp, final)
    if staged:
        fsync_dir(staged[0][1].parent)
    return [final for _, final in staged]


def discard(staged: list[tuple[Path, Path]]) -> None:
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
