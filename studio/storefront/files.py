"""Files handed to a buyer (their previews, a purchase's signed image and licence, a delivered edit), to
that buyer only.

Gradio serves a file that an event returns (`gr.Gallery`, `gr.Image`, `gr.File`, ...) from its cache
at `/gradio_api/file=PATH`, to anyone logged in who has the URL: the cache is shared by every
session and has no owner. So a buyer's files, previews included, never go to Gradio. The page links
to `studio/files/KIND/ID/NAME` instead, a route of the storefront's own on the same server, which

- takes the buyer from the login cookie, as Gradio itself reads it;
- asks the Studio for the files as that buyer: a preview only if it is among the buyer's own
  generations (`st.generations(buyer=...)`); a purchase or an edit through `st.download`,
  `st.download_edit`, which refuse anyone else's without saying whether it exists, into a folder
  of the request's own that is removed before the answer is sent;
- answers with the bytes, not to be cached (`Cache-Control: private, no-store`); a preview
  inline (the page shows it as an image), the others as attachments.

Another buyer with the same link and their own login gets 404, as for an id that does not exist;
without a login, 401. Nothing is kept between requests.
"""

from __future__ import annotations

import html
import inspect
import mimetypes
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from studio.errors import StudioError

PREFIX = "/studio/files"


class Outbox:
    """Folders for files on their way to a buyer, under one root of the process's own; each folder is
    removed as soon as the request that made it is done."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @contextmanager
    def folder(self):
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=self.root, prefix="req-") as path:
            yield Path(path)


def read_all(paths) -> dict[str, bytes]:
    """The files just written, by name (read before their folder is removed)."""
    return {Path(p).name: Path(p).read_bytes() for p in paths}


def link(kind: str, ref: str, name: str) -> str:
    """The page-relative URL of one file (relative, so it works under a proxy's path prefix too)."""
    return f"{PREFIX.lstrip('/')}/{quote(kind, safe='')}/{quote(ref, safe='')}/{quote(name, safe='')}"


def links(kind: str, ref: str, names) -> str:
    """The download links of one purchase's or edit's files, as HTML."""
    items = "".join(f"<li><a href='{html.escape(link(kind, ref, n))}' download='{html.escape(n)}'>"
                    f"{html.escape(n)}</a></li>" for n in names)
    return f"<ul class='studio-files'>{items}</ul>" if items else ""


def preview_name(generation: str) -> str:
    return f"{generation}.png"


def gallery(rows, limit: int = 12) -> str:
    """The buyer's previews (catalogue rows, newest first) as HTML images served by this route."""
    cards = "".join(
        f"<figure class='studio-preview'><img src='{html.escape(link('preview', r['generation'], preview_name(r['generation'])))}'"
        f" alt='{html.escape(r['prompt'])}'><figcaption>{html.escape(r['generation'])}: "
        f"{html.escape(r['prompt'])}</figcaption></figure>" for r in rows[:limit])
    return f"<div class='studio-previews'>{cards}</div>" if cards else ""


def read_preview(st, generation: str, name: str, buyer: str) -> bytes | None:
    """The buyer's own preview as a picture, or None: anyone else's is as if it did not exist."""
    from studio.storefront import catalogue

    if name != preview_name(generation) or not any(g.id == generation for g in st.generations(buyer=buyer)):
        return None
    try:
        return catalogue.preview_png(st, generation)
    except StudioError:
        return None


def read_as(st, outbox: Outbox, kind: str, ref: str, name: str, buyer: str) -> bytes | None:
    """One file of the buyer's preview, purchase or edit, or None if the buyer has no such file."""
    if kind == "preview":
        return read_preview(st, ref, name, buyer)
    fetch = {"purchase": st.download, "edit": st.download_edit}.get(kind)
    if fetch is None:
        return None
    with outbox.folder() as folder:
        try:
            view = fetch(ref, buyer, folder)
        except StudioError:  # someone else's, or no such id, or nothing delivered yet: all the same here
            return None
        return read_all(view.files).get(name)


async def login_of(request: Request) -> str | None:
    """The buyer this request's login names, read as Gradio's own `get_current_user` reads it (Gradio
    does not export it): the session token in the cookie Gradio set at login, looked up in its app."""
    app = request.app
    if app.auth_dependency is not None:
        user = app.auth_dependency(request)
        return await user if inspect.isawaitable(user) else user
    token = (request.cookies.get(f"access-token-{app.cookie_id}")
             or request.cookies.get(f"access-token-unsecure-{app.cookie_id}"))
    return app.tokens.get(token) if token else None


def route(st, outbox: Outbox):
    """The `GET studio/files/{kind}/{ref}/{name}` route, for `launch(app_kwargs={"routes": [...]})`."""
    async def serve(kind: str, ref: str, name: str, request: Request) -> Response:
        buyer = await login_of(request)
        if not buyer:
            raise HTTPException(401, "log in first: the storefront serves signed-in buyers only")
        data = await run_in_threadpool(read_as, st, outbox, kind, ref, name, buyer)
        if data is None:
            raise HTTPException(404, "no such file among yours")
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        shown = "inline" if kind == "preview" else "attachment"
        return Response(data, media_type=media, headers={
            "Content-Disposition": f"{shown}; filename=\"{name}\"; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    return APIRoute(PREFIX + "/{kind}/{ref}/{name}", serve, methods=["GET"], include_in_schema=False)
