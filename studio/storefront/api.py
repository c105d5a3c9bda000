"""The storefront's API: what `gradio_client` calls, by a stable name, as the logged-in buyer.

    from gradio_client import Client
    c = Client("http://localhost:7860/", auth=("ana@example.com", "her password"))
    c.predict(api_name="/list_models")
    c.predict("ada", "a red circle", 1, None, api_name="/generate")

Each endpoint is one method of `Endpoints`: it takes the buyer from the request's login
(`gr.Request.username`, set by Gradio's auth, which the buyer accounts back), calls one
`Studio` method and returns plain JSON (images and files as base64). A `StudioError` reaches
the client as an error with its message; nothing else about the server does.
"""

from __future__ import annotations

import logging
from functools import wraps

import gradio as gr

from studio.errors import StudioError
from studio.storefront import catalogue
from studio.storefront.files import Outbox, read_all

log = logging.getLogger("studio.storefront")
MAX_PREVIEWS_PER_CALL = 4
RENDER_SLOTS = 2  # generations at once: one renders while another records (rendering itself takes turns)


def buyer_of(request: gr.Request | None) -> str:
    """The logged-in buyer; the only way a handler learns who is asking."""
    name = getattr(request, "username", None) if request is not None else None
    if not name:
        raise StudioError("log in first: the storefront serves signed-in buyers only")
    return name


def as_client_error(fn):
    """A StudioError as a `gr.Error` with its message; anything else logged here, and a short message there."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StudioError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except gr.Error:
            raise
        except Exception:
            log.exception("storefront: %s failed", fn.__name__)
            raise gr.Error("something went wrong on the server; it has been logged", print_exception=False) from None
    return wrapper


class Endpoints:
    """The storefront's actions over one open Studio, each as the buyer named by the login."""

    def __init__(self, st, outbox: Outbox):
        self.st, self.outbox = st, outbox

    # --- shared by the page and the API ------------------------------------------------------

    def generate(self, buyer: str, creator: str, prompt: str, n: int = 1, seed: int | None = None) -> list:
        """The buyer's new watermarked previews (GenerationViews), recorded with the price in force."""
        if not creator:
            raise StudioError("choose a creator model first")
        n = int(n or 1)
        if not 1 <= n <= MAX_PREVIEWS_PER_CALL:
            raise StudioError(f"ask for 1 to {MAX_PREVIEWS_PER_CALL} previews at a time, not {n}")
        catalogue.model_card(self.st, creator)  # a model no longer offered: say so before rendering
        return self.st.generate(creator, prompt, n=n, seed=None if seed is None else int(seed), buyer=buyer)

    def buy(self, buyer: str, generation: str):
        """The purchase, and its files by name (read from a folder removed before this returns)."""
        if not generation:
            raise StudioError("choose one of your previews to buy")
        with self.outbox.folder() as folder:
            p = self.st.buy(generation, buyer, folder)
            return p, read_all(p.files)

    def download(self, buyer: str, purchase: str):
        if not purchase:
            raise StudioError("choose one of your purchases")
        with self.outbox.folder() as folder:
            p = self.st.download(purchase, buyer, folder)
            return p, read_all(p.files)

    def request_edit(self, buyer: str, generation: str, note: str):
        if not generation:
            raise StudioError("choose the preview the creator should edit")
        return self.st.request_edit(generation, buyer, note)

    def my_edit_job(self, buyer: str, job: str):
        """One of the buyer's own edit jobs; anyone else's is "no such job", as if it did not exist."""
        if not job:
            raise StudioError("choose one of your edit jobs")
        try:
            e = self.st.edit_job(job)
        except StudioError:
            e = None
        if e is None or e.buyer != buyer:
            raise StudioError(f"{buyer} has no edit job {job!r}")
        return e

    def accept_edit(self, buyer: str, job: str):
        """Accept the creator's quote for one of the buyer's edit jobs."""
        self.my_edit_job(buyer, job)
        return self.st.accept_edit(job, buyer)

    def download_edit(self, buyer: str, job: str):
        """A delivered edit, and its file by name (read from a folder removed before this returns)."""
        if not job:
            raise StudioError("choose one of your edit jobs")
        with self.outbox.folder() as folder:
            e = self.st.download_edit(job, buyer, folder)
            return e, read_all(e.files)

    def ask(self, buyer: str, creator: str, message: str):
        if not creator:
            raise StudioError("choose a creator to ask")
        assistant_encoder()
        return self.st.assistant(creator).reply(message, conversation_id=catalogue.conversation_id(buyer, creator),
                                                client=buyer)

    # --- the API (typed: Gradio derives the schema from the hints) --------------------------------

    def list_models(self) -> list[dict]:
        """Creator models on offer: creator, price, quality scores, and until when a closing one is offered."""
        return catalogue.offered_models(self.st)

    def api_generate(self, creator: str, prompt: str, n: int = 1, seed: int | None = None,
                     request: gr.Request = None) -> list[dict]:
        """Generate up to 4 watermarked previews; each with its id (to buy), price and preview PNG (base64; a
        writing model's masked copy is also given as ``preview_text``)."""
        out = []
        for g in self.generate(buyer_of(request), creator, prompt, n, seed):
            row = catalogue.preview_row(g)
            row["preview_png_base64"] = catalogue.b64(catalogue.preview_png(self.st, g.id))
            text = catalogue.preview_text(self.st, g.id)
            if text is not None:
                row["preview_text"] = text
            out.append(row)
        return out

    def my_previews(self, request: gr.Request = None) -> list[dict]:
        """Your previews, newest first."""
        return catalogue.my_previews(self.st, buyer_of(request))

    def quote(self, generation: str, request: gr.Request = None) -> dict:
        """What buying one of your previews costs and grants (non-exclusive); nothing is charged."""
        return self.st.quote(generation, buyer_of(request))

    def api_buy(self, generation: str, request: gr.Request = None) -> dict:
        """Buy one of your previews: the purchase, and the signed PNG and licence certificate (base64)."""
        p, files = self.buy(buyer_of(request), generation)
        return {**catalogue.purchase_row(p), "files": _b64(files)}

    def my_purchases(self, request: gr.Request = None) -> list[dict]:
        return catalogue.my_purchases(self.st, buyer_of(request))

    def api_download(self, purchase: str, request: gr.Request = None) -> dict:
        """One of your purchases' files again, byte for byte (also after the model was disabled)."""
        p, files = self.download(buyer_of(request), purchase)
        return {**catalogue.purchase_row(p), "files": _b64(files)}

    def api_request_edit(self, generation: str, note: str, request: gr.Request = None) -> dict:
        """Ask the creator to finish one of your previews by hand."""
        return catalogue.edit_row(self.request_edit(buyer_of(request), generation, note))

    def my_edit_jobs(self, request: gr.Request = None) -> list[dict]:
        return catalogue.my_edit_jobs(self.st, buyer_of(request))

    def api_accept_edit(self, job: str, request: gr.Request = None) -> dict:
        """Accept the creator's quote for one of your edit jobs; the creator then does the work."""
        return catalogue.edit_row(self.accept_edit(buyer_of(request), job))

    def api_download_edit(self, job: str, request: gr.Request = None) -> dict:
        """The creator's delivered file for one of your edit jobs (signed PNG, base64)."""
        e, files = self.download_edit(buyer_of(request), job)
        return {**catalogue.edit_row(e), "files": _b64(files)}

    def api_ask(self, creator: str, message: str, request: gr.Request = None) -> dict:
        """Ask the creator's assistant; it answers from the creator's own knowledge or hands off to them."""
        r = self.ask(buyer_of(request), creator, message)
        return {"text": r.text, "handoff": r.handoff, "status": r.status}

    def register(self) -> None:
        """Declare every endpoint in the Blocks being built, by its stable name."""
        for fn, name, slots in (
                (self.list_models, "list_models", None), (self.api_generate, "generate", RENDER_SLOTS),
                (self.my_previews, "my_previews", None), (self.quote, "quote", None),
                (self.api_buy, "buy", 1), (self.my_purchases, "my_purchases", None),
                (self.api_download, "download", None), (self.api_request_edit, "request_edit", 1),
                (self.my_edit_jobs, "my_edit_jobs", None), (self.api_accept_edit, "accept_edit", 1),
                (self.api_download_edit, "download_edit", None), (self.api_ask, "ask", 1)):
            limit = {"concurrency_limit": slots, "concurrency_id": name_of_slot(name)} if slots else {}
            gr.api(as_client_error(fn), api_name=name, **limit)


def assistant_encoder():
    """The assistants' sentence encoder, loaded once per process (under the model-load lock, see
    `studio.assistant.embed`: pipelines load in other threads while a buyer may ask a question)."""
    from studio.assistant.embed import encoder

    return encoder()


def name_of_slot(api_name: str) -> str:
    """The concurrency group an action shares between the page and the API (one renderer, one till)."""
    return {"generate": "render", "buy": "till", "request_edit": "till", "accept_edit": "till",
            "ask": "assistant"}.get(api_name, api_name)


def _b64(files: dict[str, bytes]) -> dict[str, str]:
    return {name: catalogue.b64(data) for name, data in files.items()}
