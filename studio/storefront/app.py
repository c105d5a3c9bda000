"""The storefront page (Gradio): browse, generate, buy, download, have a preview edited by the creator
(request, accept the quote, download the delivered file), ask the creator's assistant.

Every handler takes the buyer from the login (`api.buyer_of(request)`), calls one `Endpoints`
action or `catalogue` read (each one `Studio` call) and turns the answer into components. A
refusal is a message on the page (`.studio-error`), never a traceback. The page's own events are
private (the page calls them; `gradio_client` sees only the named API in `api.py`). A buyer's
previews and files are links to `files.route`, which serves them to that buyer only; none goes
through Gradio's file cache, which any logged-in user may read (only the creators' public sample
outputs do).
"""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import gradio as gr
import pandas as pd

from studio.errors import StudioError
from studio.storefront import catalogue, files
from studio.storefront.api import RENDER_SLOTS, Endpoints, buyer_of, name_of_slot
from studio.storefront.files import Outbox
from studio.storefront.theme import CSS, gradio_theme

log = logging.getLogger("studio.storefront")
TITLE = "Studio storefront"
NO_MODELS = ("No creator offers a model yet: a creator trains, publishes and prices one in the Creator "
             "studio dashboard.")


def _note(text: str, kind: str = "ok") -> str:
    return f"<div class='studio-{kind}'>{html.escape(text)}</div>"


def _empty(text: str) -> str:
    return f"<div class='studio-empty'>{html.escape(text)}</div>"


def on_page(outputs: int, status_at: int = 0):
    """A page handler whose refusal shows as a message in its status output (the others unchanged)."""
    def wrap(fn: Callable):
        @wraps(fn)
        def handler(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except StudioError as exc:
                message = _note(str(exc), "error")
            except Exception:
                log.exception("storefront: %s failed", fn.__name__)
                message = _note("Something went wrong on the server; it has been logged. Try again.", "error")
            out = [gr.skip()] * outputs
            out[status_at] = message
            return tuple(out) if outputs > 1 else out[0]
        return handler
    return wrap


def _image(png: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(png))


def _table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


MODEL_COLUMNS = ["creator", "name", "price", "state", "available_until", "quality_passed"]
PREVIEW_COLUMNS = ["generation", "prompt", "seed", "price", "status"]
PURCHASE_COLUMNS = ["purchase", "generation", "creator", "price", "licence", "bought_at"]
JOB_COLUMNS = ["job", "generation", "creator", "status", "quote", "note"]


def build(st, outbox_root: Path) -> gr.Blocks:
    ep = Endpoints(st, Outbox(outbox_root))
    private = {"api_visibility": "private"}

    with gr.Blocks(title=TITLE, delete_cache=(3600, 24 * 3600)) as demo:
        with gr.Column(elem_classes=["studio-app"]):
            header = gr.HTML(f"<h1>{TITLE}</h1>")
            with gr.Row():
                model = gr.Dropdown(label="Creator model", choices=[], scale=3, elem_id="studio-model")
                refresh = gr.Button("Refresh", scale=1)
            with gr.Tabs():
                with gr.Tab("Browse", id="browse"):
                    models_html = gr.HTML()
                    models_table = gr.Dataframe(headers=MODEL_COLUMNS, interactive=False, label="Models on offer")
                    detail = gr.HTML(elem_id="studio-detail")
                    sample_gallery = gr.Gallery(label="Sample outputs (the creator's own previews)", columns=4,
                                                height=220, object_fit="contain", elem_id="studio-samples")
                with gr.Tab("Generate and buy", id="generate"):
                    with gr.Row():
                        prompt = gr.Textbox(label="Prompt", placeholder="a red circle on a blue background",
                                            scale=4, elem_id="studio-prompt")
                        count = gr.Slider(1, 4, value=1, step=1, label="Previews", scale=1)
                    generate = gr.Button("Generate previews", variant="primary", elem_id="studio-generate")
                    gen_status = gr.HTML(elem_id="studio-gen-status")
                    previews = gr.HTML(elem_id="studio-previews")  # served by files.route, to this buyer only
                    preview_pick = gr.Dropdown(label="Your preview", choices=[], elem_id="studio-preview-pick")
                    quote = gr.HTML(elem_id="studio-quote")
                    buy = gr.Button("Buy this preview", variant="primary", elem_id="studio-buy")
                    buy_status = gr.HTML(elem_id="studio-buy-status")
                    bought_files = gr.HTML(elem_id="studio-bought-files")
                    with gr.Accordion("Ask the creator to edit this preview by hand", open=False):
                        note = gr.Textbox(label="What should change?", lines=2, elem_id="studio-edit-note")
                        request_edit = gr.Button("Request an edit", elem_id="studio-request-edit")
                        edit_status = gr.HTML(elem_id="studio-edit-status")
                with gr.Tab("My purchases", id="purchases"):
                    purchases_html = gr.HTML(elem_id="studio-purchases-note")
                    purchases_table = gr.Dataframe(headers=PURCHASE_COLUMNS, interactive=False,
                                                   elem_id="studio-purchases")
                    purchase_pick = gr.Dropdown(label="Purchase", choices=[], elem_id="studio-purchase-pick")
                    download = gr.Button("Download again", elem_id="studio-download")
                    download_status = gr.HTML(elem_id="studio-download-status")
                    download_files = gr.HTML(elem_id="studio-download-files")
                with gr.Tab("My edit jobs", id="edits") as edits_tab:
                    jobs_html = gr.HTML(elem_id="studio-jobs-note")
                    jobs_table = gr.Dataframe(headers=JOB_COLUMNS, interactive=False, elem_id="studio-jobs")
                    job_pick = gr.Dropdown(label="Edit job", choices=[], elem_id="studio-job-pick")
                    job_card = gr.HTML(elem_id="studio-job")
                    accept = gr.Button("Accept the quote", variant="primary", interactive=False,
                                       elem_id="studio-accept-edit")
                    job_status = gr.HTML(elem_id="studio-job-status")
                    edit_files = gr.HTML(elem_id="studio-edit-files")
                with gr.Tab("Ask the creator", id="ask"):
                    chat = gr.Chatbot(label="The creator's assistant", height=320, elem_id="studio-chat")
                    message = gr.Textbox(label="Your message", placeholder="How much is a logo?",
                                         elem_id="studio-message")
                    ask_status = gr.HTML()

        # --- what the buyer sees: read on load, after each action and on Refresh ------------------------

        def models_view(current: str | None):
            models = catalogue.offered_models(st)
            handles = [m["creator"] for m in models]
            pick = current if current in handles else (handles[0] if handles else None)
            choices = [(f"{m['name']} (@{m['creator']}), {m['price']} per preview", m["creator"]) for m in models]
            note_html = _empty(NO_MODELS) if not models else ""
            return gr.update(choices=choices, value=pick), note_html, _table(models, MODEL_COLUMNS)

        def detail_view(handle: str | None):
            if not handle:
                return "", []
            try:
                m = catalogue.model_card(st, handle)
            except StudioError as exc:
                return _note(str(exc), "error"), []
            rows = "".join(f"<li>{html.escape(r['measure'])}: {html.escape(str(r['value']))}</li>"
                           for r in m["quality"]) or "<li>no quality scores recorded</li>"
            until = (f"<p class='studio-note'>Closing: offered until {html.escape(m['available_until'])}</p>"
                     if m["available_until"] else "")
            gate = "passed the quality gate" if m["quality_passed"] else "quality gate not passed"
            writing = ("<p class='studio-note'>A writing model: your prompt is a brief, e.g. <code>brief: tagline | "
                       "business: Juniper Books (bookshop) | audience: students | tone: witty</code>. A preview "
                       "shows the opening words and masks the rest; buying it delivers the full text.</p>"
                       if m.get("kind") == "text" else "")
            shown = [(_image(catalogue.preview_png(st, s["generation"])), s["prompt"])
                     for s in catalogue.samples(st, handle)]
            samples_note = "" if shown else _empty("No sample outputs yet: the creator has not shown any.")
            body = (f"<div class='studio-card'><h3>{html.escape(m['name'])} (@{html.escape(handle)}), version "
                    f"{m['number']}</h3><p><b>{m['price']}</b> per generation you buy; previews are free "
                    f"(a daily limit applies). Outputs are non-exclusive.</p>{until}<p>Quality: {gate}</p>"
                    f"<ul>{rows}</ul>{writing}</div>{samples_note}")
            return body, shown

        def jobs_view(current: str | None, request: gr.Request):
            jobs = catalogue.my_edit_jobs(st, buyer_of(request))
            ids = [j["job"] for j in jobs]
            waiting = [j["job"] for j in jobs if j["status"] in ("quoted", "delivered")]  # the buyer's turn
            pick = current if current in ids else (waiting[0] if waiting else (ids[0] if ids else None))
            picks = [(f"{j['job']} ({j['status']}{', ' + j['quote'] if j['quote'] else ''}): {j['generation']}",
                      j["job"]) for j in jobs]
            return ("" if jobs else _empty("No edit jobs yet: ask the creator to edit one of your previews."),
                    _table(jobs, JOB_COLUMNS), gr.update(choices=picks, value=pick))

        jobs_outputs = [jobs_html, jobs_table, job_pick]

        def mine(current_job: str | None, request: gr.Request):
            buyer = buyer_of(request)
            rows = catalogue.my_previews(st, buyer)
            gallery = ("<h4>Your previews (watermarked)</h4>" + files.gallery(rows) if rows
                       else _empty("No previews yet: write a prompt and Generate previews."))
            picks = [(f"{r['generation']} ({r['prompt']}, {r['price'] or 'not for sale'}"
                      f"{', bought' if r['status'] == 'sold' else ''})", r["generation"]) for r in rows]
            first = next((r["generation"] for r in rows if r["for_sale"]), rows[0]["generation"] if rows else None)
            purchases = catalogue.my_purchases(st, buyer)
            return (gallery, gr.update(choices=picks, value=first),
                    "" if purchases else _empty("No purchases yet: buy a preview in Generate and buy."),
                    _table(purchases, PURCHASE_COLUMNS), gr.update(choices=[p["purchase"] for p in purchases],
                                                                   value=purchases[0]["purchase"] if purchases else None),
                    *jobs_view(current_job, request))

        mine_outputs = [previews, preview_pick, purchases_html, purchases_table, purchase_pick, *jobs_outputs]

        @on_page(3)
        def job_view(job: str | None, request: gr.Request):
            """The picked job as the buyer sees it: where it stands, Accept while quoted, the file once delivered."""
            if not job:
                return "", gr.update(interactive=False), ""
            buyer = buyer_of(request)
            e = ep.my_edit_job(buyer, job)
            quote = catalogue.edit_row(e)["quote"]
            creator, names = html.escape(e.creator), []
            said = {
                "open": f"Waiting for {creator}'s quote.",
                "quoted": f"{creator} quotes <b>{quote}</b> for this edit. Accept it and {creator} starts the work.",
                "accepted": f"You accepted {quote}: {creator} is working on it. The file appears here when delivered.",
                "delivered": f"Delivered by {creator}: your file, signed with your preview as its ingredient.",
                "declined": f"{creator} declined this job{': ' + html.escape(e.reason) if e.reason else ''}.",
            }.get(e.status, html.escape(e.status))
            if e.status == "delivered":
                names = list(ep.download_edit(buyer, job)[1])
            card = (f"<div class='studio-card'><b>{html.escape(e.id)}</b>: an edit of "
                    f"{html.escape(e.generation_id)} ({html.escape(e.prompt)}). You asked: "
                    f"<i>{html.escape(e.note)}</i><p class='studio-job-state'>{said}</p></div>")
            return card, gr.update(interactive=e.status == "quoted"), files.links("edit", e.id, names)

        def greet(request: gr.Request):
            who = html.escape(buyer_of(request))
            return (f"<h1>{TITLE}</h1><p class='studio-note'>Signed in as <b id='studio-buyer'>{who}</b> · "
                    f"<a href='/logout'>log out</a></p>")

        @on_page(2)
        def quote_view(generation: str | None, request: gr.Request):
            if not generation:
                return "", gr.update(interactive=False)
            q = st.quote(generation, buyer_of(request))
            from studio.money import dollars

            return (f"<div class='studio-card'>Buying <b>{html.escape(generation)}</b> costs "
                    f"<b>{dollars(q['price_cents'])}</b>. {html.escape(q['notice'])}</div>"), gr.update(interactive=True)

        # --- actions -------------------------------------------------------------------------------

        @on_page(1)
        def do_generate(handle: str, text: str, n: float, request: gr.Request, progress=gr.Progress()):
            progress(0.1, desc="Rendering previews")
            made = ep.generate(buyer_of(request), handle, text, int(n))
            flagged = sum(1 for g in made if g.flagged)
            extra = f" ({flagged} too close to a training image: not for sale)" if flagged else ""
            return _note(f"{len(made)} preview(s) ready{extra}: pick one below to buy it or have it edited.")

        @on_page(2)
        def do_buy(generation: str, request: gr.Request, progress=gr.Progress()):
            progress(0.2, desc="Signing your file and its licence")
            p, got = ep.buy(buyer_of(request), generation)
            return (_note(f"Bought {p.generation_id} for {catalogue.purchase_row(p)['price']}: purchase {p.id}, "
                          f"licence {p.licence_id}. Your files are below.")), files.links("purchase", p.id, got)

        @on_page(2)
        def do_download(purchase: str, request: gr.Request):
            p, got = ep.download(buyer_of(request), purchase)
            return _note(f"The files of {p.id}, as delivered."), files.links("purchase", p.id, got)

        @on_page(1)
        def do_request_edit(generation: str, text: str, request: gr.Request):
            job = ep.request_edit(buyer_of(request), generation, text)
            return _note(f"Edit job {job.id} sent to {job.creator}: it shows in My edit jobs with its quote.")

        @on_page(1)
        def do_accept(job: str, request: gr.Request):
            e = ep.accept_edit(buyer_of(request), job)
            return _note(f"You accepted {e.creator}'s quote of {catalogue.edit_row(e)['quote']} for {e.id}: "
                         f"{e.creator} starts the work.")

        @on_page(3, status_at=2)
        def do_ask(handle: str, text: str, history: list, request: gr.Request):
            reply = ep.ask(buyer_of(request), handle, text)
            said = reply.text + ("\n\n(The creator will follow up in person.)" if reply.handoff else "")
            history = [*(history or []), {"role": "user", "content": text}, {"role": "assistant", "content": said}]
            return history, "", ""

        # --- wiring --------------------------------------------------------------------------------

        demo.load(greet, None, header, **private)
        demo.load(models_view, model, [model, models_html, models_table], **private).then(
            detail_view, model, [detail, sample_gallery], **private)
        job_outputs = [job_card, accept, edit_files]
        demo.load(mine, job_pick, mine_outputs, **private)
        refresh.click(models_view, model, [model, models_html, models_table], **private).then(
            detail_view, model, [detail, sample_gallery], **private).then(mine, job_pick, mine_outputs, **private).then(
            job_view, job_pick, job_outputs, **private)
        model.change(detail_view, model, [detail, sample_gallery], **private)
        preview_pick.change(quote_view, preview_pick, [quote, buy], **private)
        generate.click(do_generate, [model, prompt, count], gen_status, concurrency_limit=RENDER_SLOTS,
                       concurrency_id=name_of_slot("generate"), **private).then(mine, job_pick, mine_outputs, **private)
        buy.click(do_buy, preview_pick, [buy_status, bought_files], concurrency_limit=1,
                  concurrency_id=name_of_slot("buy"), **private).then(mine, job_pick, mine_outputs, **private)
        download.click(do_download, purchase_pick, [download_status, download_files], **private)
        request_edit.click(do_request_edit, [preview_pick, note], edit_status, concurrency_limit=1,
                           concurrency_id=name_of_slot("request_edit"), **private).then(
            mine, job_pick, mine_outputs, **private)
        job_pick.change(job_view, job_pick, job_outputs, **private)
        edits_tab.select(jobs_view, job_pick, jobs_outputs, **private).then(job_view, job_pick, job_outputs, **private)
        accept.click(do_accept, job_pick, job_status, concurrency_limit=1, concurrency_id=name_of_slot("accept_edit"),
                     **private).then(jobs_view, job_pick, jobs_outputs, **private).then(
            job_view, job_pick, job_outputs, **private)
        message.submit(do_ask, [model, message, chat], [chat, message, ask_status], concurrency_limit=1,
                       concurrency_id=name_of_slot("ask"), **private)
        ep.register()
    return demo


def warm(st) -> None:
    """Load the offered models' pipelines now, and the assistants' encoder if a creator has set one up, so
    the first buyer's preview or question does not wait for torch and weights."""
    from studio import inference
    from studio.storefront.api import assistant_encoder

    offered = catalogue.offered_models(st)
    for m in offered:
        try:
            inference.pipeline(st.model_version(m["creator"], m["version"]).path)
        except Exception:  # the buyer's own request will say what is wrong
            log.warning("storefront: could not preload %s's model", m["creator"], exc_info=True)
    try:
        if any(st.assistant(m["creator"]).knowledge() is not None for m in offered):
            assistant_encoder()
    except Exception:
        log.warning("storefront: could not preload the assistants' encoder", exc_info=True)


def launch(st, host: str, port: int, outbox_root: Path, block: bool = True):
    """Serve the storefront with the buyer accounts as its login; returns (app, local url, share url)."""
    import threading

    demo = build(st, outbox_root)
    served = files.route(st, Outbox(outbox_root))  # a buyer's files: to that buyer only, never via Gradio's cache
    demo.queue(default_concurrency_limit=4, max_size=128)
    threading.Thread(target=warm, args=(st,), name="storefront-warm", daemon=True).start()
    return demo.launch(server_name=host, server_port=port, auth=st.authenticate_buyer,
                       auth_message="Log in with your buyer account: the email and password you registered.",
                       app_kwargs={"routes": [served]}, theme=gradio_theme(), css=CSS, ssr_mode=False,
                       footer_links=["api"], quiet=True, show_error=True, prevent_thread_lock=not block)
