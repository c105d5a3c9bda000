"""`Studio`: one open studio home. Every action a UI offers is one call here.

A widget, the CLI, the Gradio app and a test all drive these same methods. Each method
forwards to one service (`studio.creators`, `studio.portfolio`, `studio.training`,
`studio.quality`, `studio.marketplace`, `studio.assistant`); the services share one public
`StudioContext` (sessions, blobs, policy, events) and never reach into the Studio.
Listeners registered with `subscribe` hear a typed `Event` after each committed change,
so a panel can refresh without holding business state of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from studio.config import DEFAULT_POLICY, Policy
from studio.context import StudioContext
from studio.creators import Creators
from studio.events import Event
from studio.marketplace.accounts import Accounts
from studio.marketplace.analytics import Analytics, PlatformAnalytics
from studio.marketplace.edits import Edits, EditView
from studio.marketplace.generations import Generations, GenerationView
from studio.marketplace.identify import FileChecks
from studio.marketplace.listing import Listing
from studio.marketplace.payouts import Payouts, Statement
from studio.marketplace.plans import Plans, PlanView
from studio.marketplace.purchases import Purchases, PurchaseView
from studio.portfolio import Consent, IntakeReport, ItemView, Portfolio
from studio.quality.gate import QualityGate
from studio.rights import ledger
from studio.rights.audit import Audit, audit
from studio.rights.reports import RightsReport, RightsReports
from studio.store.tables import Creator
from studio.training.runs import TrainingRun
from studio.training.service import Training
from studio.training.versions import Versions, VersionView

if TYPE_CHECKING:
    from studio.assistant import Assistant

__all__ = ["Studio", "ItemView"]


class Studio:
    """An open studio home: database, blob store, policy and the services over them."""

    def __init__(self, home: Path | str | None = None, db_url: str | None = None, policy: Policy = DEFAULT_POLICY):
        ctx = self.context = StudioContext(home, db_url, policy)
        self._creators = Creators(ctx)
        self._portfolio = Portfolio(ctx)
        self._versions = Versions(ctx)
        self._training = Training(ctx, self._creators, self._portfolio, self._versions)
        self._gate = QualityGate(ctx, self._versions)
        self._plans = Plans(ctx, self._creators)
        self._listing = Listing(ctx, self._plans, self._versions)
        self._generations = Generations(ctx, self._versions, self._listing)
        self._purchases = Purchases(ctx)
        self._payouts = Payouts(ctx)
        self._edits = Edits(ctx, self._purchases)
        self._files = FileChecks(ctx, self._purchases, self._edits)
        self._reports = RightsReports(ctx)
        self._analytics = Analytics(ctx)
        self._accounts = Accounts(ctx)
        self._plans.adopt_legacy()  # once, after the upgrade to schema 4
        self._assistants: dict[str, Assistant] = {}

    def __repr__(self) -> str:
        return f"Studio(home={str(self.home)!r})"

    def close(self) -> None:
        self.context.close()

    # --- plumbing ---------------------------------------------------------------------------

    home = property(lambda self: self.context.home)
    db_url = property(lambda self: self.context.db_url)
    policy = property(lambda self: self.context.policy)
    blobs = property(lambda self: self.context.blobs)
    engine = property(lambda self: self.context.engine)
    schema_found = property(lambda self: self.context.schema_found)
    schema_version = property(lambda self: self.context.schema_version)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: the change and its ledger event commit together or not at all."""
        with self.context.transaction() as session:
            yield session

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener(event)` after each committed change; returns an unsubscribe function."""
        return self.context.events.subscribe(listener)

    # --- creators ---------------------------------------------------------------------------

    def add_creator(self, handle: str, name: str, level: str = "new", plan: str = "free",
                    style_word: str | None = None) -> Creator:
        return self._creators.add(handle, name, level, plan, style_word)

    def creator(self, handle: str) -> Creator:
        return self._creators.get(handle)

    def creators(self) -> list[Creator]:
        return self._creators.list()

    def require_vetted(self, handle: str) -> Creator:
        """The creator, if policy lets them train and publish a model."""
        return self._creators.require_vetted(handle)

    def set_style_word(self, handle: str, word: str | None) -> Creator:
        """The word the creator's models learn their style under (used by training and generation)."""
        return self._creators.set_style_word(handle, word)

    # --- portfolio --------------------------------------------------------------------------

    def add_to_portfolio(self, handle: str, paths: list[Path | str], consent: str | Consent = "own") -> IntakeReport:
        """Ingest files and folders (images with captions, text); see `studio.portfolio.intake`."""
        return self._portfolio.add(handle, paths, consent)

    def add_upload(self, handle: str, files: list[tuple[str, bytes]], consent: str | Consent = "own") -> IntakeReport:
        """Ingest in-memory uploads (file name, bytes), e.g. from a FileUpload widget."""
        return self._portfolio.add_upload(handle, files, consent)

    def portfolio(self, handle: str, include_revoked: bool = True) -> list[ItemView]:
        return self._portfolio.items(handle, include_revoked)

    def training_items(self, handle: str) -> list[ItemView]:
        """Items the creator's model may learn from: active consent only."""
        return self._portfolio.training_items(handle)

    def revoke(self, handle: str, item_id: str, reason: str | None = None) -> ItemView:
        """Withdraw consent for an item: it is excluded from all future training."""
        return self._portfolio.revoke(handle, item_id, reason)

    def set_consent(self, handle: str, item_id: str, consent: str | Consent) -> ItemView:
        """Record a new consent basis for an item (e.g. the client's reference arrived)."""
        return self._portfolio.set_consent(handle, item_id, consent)

    def set_caption(self, handle: str, item_id: str, text: str | None) -> ItemView:
        """Write an image item's caption as the creator typed it (empty clears it), with its ledger event."""
        return self._portfolio.set_caption(handle, item_id, text)

    def suggest_captions(self, handle: str, base: str | None = None) -> list[tuple[ItemView, str]]:
        """Shapes-world captions for image items whose caption is missing or unreadable ([] on a real base)."""
        return self._portfolio.suggest_captions(handle, base)

    def thumbnail(self, sha256: str, size: int = 128) -> bytes:
        """A PNG thumbnail of an image blob, for panels and previews."""
        return self._portfolio.thumbnail(sha256, size)

    # --- rights -----------------------------------------------------------------------------

    def verify_ledger(self, deep: bool = False) -> Audit:
        """Check the ledger's chain and signed head, and that every table agrees with it; ``deep``
        also re-hashes every blob and weights file the ledger names."""
        return audit(self.context, deep=deep)

    def ledger_events(self, subject: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        with self.context.reading() as s:
            return [
                {"seq": e.seq, "id": e.id, "kind": e.kind, "subject": e.subject, "created_at": e.created_at,
                 "payload": json.loads(e.payload), "hash": e.hash}
                for e in ledger.events(s, subject, kind)
            ]

    def rights_report(self, creator: str | None = None, buyer: str | None = None,
                      asset: str | None = None) -> RightsReport:
        """Per asset of one creator, buyer or file (sha256): owner and licence, model version, the training items
        (hash and consent record) it learned from, what was paid and earned; DataFrames with JSON/CSV/HTML export."""
        return self._reports.report(creator, buyer, asset)

    def collect_garbage(self, dry_run: bool = False, older_than: float = 3600) -> dict:
        """Remove stale temporary files and blobs nothing references (a row or a ledger event)."""
        from studio.store.gc import collect_garbage

        return collect_garbage(self.context, dry_run=dry_run, older_than=older_than)

    # --- training and model versions --------------------------------------------------------

    def start_training(self, handle: str, *, resume: bool = False, **options) -> TrainingRun:
        """Check and start training the creator's next version in the background; returns the run
        (state, step, losses, previews, `cancel()`, `wait()`), which `runs()` lists for every view.

        `options` are `studio.training.TrainConfig` fields (steps, rank, lr, ...); the trigger
        defaults to the creator's style word and the base to $STUDIO_BASE or the embedded studio-tiny-v2.
        """
        return self._training.start(handle, resume=resume, **options)

    def train(self, handle: str, *, on_event=None, cancel=None, resume: bool = False, **options) -> VersionView | None:
        """As `start_training`, in this thread: returns the version, or None if cancelled (resume=True
        continues from the last checkpoint)."""
        return self._training.train(handle, on_event=on_event, cancel=cancel, resume=resume, **options)

    def runs(self, handle: str | None = None, active: bool | None = None) -> list[TrainingRun]:
        """Training runs of this home in this process, oldest first."""
        return self._training.runs(handle, active)

    def models(self, handle: str) -> list[VersionView]:
        """The creator's model versions, oldest first."""
        return self._versions.list(handle)

    def model_version(self, handle: str, version_id: str | None = None) -> VersionView:
        """A version by id (or number), else the newest."""
        return self._versions.get(handle, version_id)

    def quality_gate(self, handle: str, version_id: str | None = None, **kw) -> dict:
        """Score a version's outputs against the base's (style distance to the portfolio); stored on it."""
        return self._gate.score(handle, version_id, **kw)

    # --- the marketplace --------------------------------------------------------------------

    def subscribe_plan(self, handle: str, plan: str = "creation") -> PlanView:
        """Start a monthly plan (`Policy.subscription_plans`); publishing needs the creation plan."""
        return self._plans.subscribe(handle, plan)

    def cancel_plan(self, handle: str, plan: str = "creation") -> PlanView:
        """Stop a plan renewing: it stays active to the end of the month paid for."""
        return self._plans.cancel(handle, plan)

    def plans(self, handle: str) -> list[PlanView]:
        """Every subscription the creator has had, newest first."""
        return self._plans.list(handle)

    def publish(self, handle: str, version_id: str | None = None, price_cents: int | None = None) -> VersionView:
        """Offer a version to buyers (vetted creator on a creation plan, gate passed), optionally with a price."""
        return self._listing.publish(handle, version_id, price_cents)

    def set_price(self, handle: str, cents: int) -> int:
        return self._listing.set_price(handle, cents)

    def price(self, handle: str) -> int | None:
        """The model's current price in cents (None if never priced)."""
        return self._listing.price(handle)

    def disable_model(self, handle: str, reason: str | None = None, notice_days: int | None = None) -> dict:
        """No new generations, at once or after ``notice_days``; then unpurchased drafts are the creator's only."""
        return self._listing.disable(handle, reason, notice_days)

    def enable_model(self, handle: str) -> dict:
        """Undo a disable: buyers may generate again."""
        return self._listing.enable(handle)

    def listing(self, handle: str) -> dict:
        """What buyers see of the model: offered, closing (with its last date) or disabled, and the price."""
        return self._listing.listing(handle)

    def generate(self, handle: str, prompt: str, n: int = 1, seed: int | None = None, buyer: str | None = None,
                 version_id: str | None = None) -> list[GenerationView]:
        """Generate and record `n` images (seeds seed..seed+n-1); buyers get watermarked previews."""
        return self._generations.generate(handle, prompt, n, seed, buyer, version_id)

    def base_images(self, handle: str, prompt: str, seeds: list[int], version_id: str | None = None) -> list[bytes]:
        """PNGs from the version's base alone for the same prompt and seeds, to compare with `generate`."""
        return self._generations.from_base(handle, prompt, seeds, version_id)

    def generations(self, handle: str | None = None, buyer: str | None = None) -> list[GenerationView]:
        return self._generations.list(handle, buyer)

    def image(self, generation_id: str, preview: bool = True) -> bytes:
        """A generation's PNG: the watermarked preview, or the clean full image."""
        return self._generations.image(generation_id, preview)

    def exposures(self, handle: str | None = None) -> list[dict]:
        """Every preview buyers were shown, with the price in force and whether it was bought."""
        return self._generations.exposures(handle)

    def quote(self, generation_id: str, buyer: str) -> dict:
        """What buying a preview costs and grants (outputs are non-exclusive), after every check; writes nothing."""
        return self._purchases.quote(generation_id, buyer)

    def buy(self, generation_id: str, buyer: str, out_dir: Path | str) -> PurchaseView:
        """Buy a preview: the signed, marked image and its licence certificate are written to ``out_dir``."""
        return self._purchases.buy(generation_id, buyer, out_dir)

    def purchases(self, buyer: str) -> list[PurchaseView]:
        return self._purchases.list(buyer)

    def download(self, purchase_id: str, buyer: str, out_dir: Path | str) -> PurchaseView:
        """Write a purchase's file and certificate again, byte for byte (its buyer only)."""
        return self._purchases.download(purchase_id, buyer, out_dir)

    def certificate(self, licence_id: str) -> dict:
        """A licence certificate (by licence or purchase id): file names, the JSON as issued, and its HTML."""
        return self._purchases.certificate(licence_id)

    def statement(self, handle: str) -> Statement:
        """A creator's generations, sales, fees and earnings per day and per model version."""
        return self._payouts.statement(handle)

    def run_payouts(self) -> dict:
        """Settle what each creator is owed at or above the payout minimum (each line once)."""
        return self._payouts.run()

    def identify(self, source: bytes | str | Path) -> dict:
        """Which sale a file's pixels come from, by the invisible mark (or "not from this studio")."""
        return self._files.identify(source)

    def identify_text(self, source: bytes | str | Path) -> dict:
        """Which of this studio's text models wrote a text, by their watermarks (z-score and p-value)."""
        return self._files.identify_text(source)

    def verify_file(self, source: bytes | str | Path, record: bytes | str | Path | None = None) -> dict:
        """A delivered file's content credentials against this home's root (a text's detached ``record``,
        by default ``NAME.provenance.json`` beside it), its bytes and its mark, with what is wrong."""
        return self._files.verify(source, record)

    def analytics(self) -> PlatformAnalytics:
        """Sales, revenue and conversion per day and creator level; no group of fewer than 5 buyers is shown."""
        return self._analytics.run()

    # --- edit jobs: a draft finished by hand ----------------------------------------------------

    def request_edit(self, generation_id: str, buyer: str, note: str) -> EditView:
        """The preview's buyer asks its creator to finish it by hand: an open job with the draft, prompt and seed."""
        return self._edits.request(generation_id, buyer, note)

    def quote_edit(self, job_id: str, cents: int) -> EditView:
        return self._edits.quote(job_id, cents)

    def accept_edit(self, job_id: str, buyer: str) -> EditView:
        return self._edits.accept(job_id, buyer)

    def deliver_edit(self, job_id: str, source: bytes | str | Path) -> EditView:
        """The creator's finished file, C2PA-signed with the AI draft as its ingredient and the edit as an action."""
        return self._edits.deliver(job_id, source)

    def decline_edit(self, job_id: str, reason: str | None = None) -> EditView:
        return self._edits.decline(job_id, reason)

    def edit_job(self, job_id: str) -> EditView:
        return self._edits.get(job_id)

    def edit_jobs(self, handle: str | None = None, buyer: str | None = None) -> list[EditView]:
        return self._edits.list(handle, buyer)

    def download_edit(self, job_id: str, buyer: str, out_dir: Path | str) -> EditView:
        """Write a delivered edit's file to ``out_dir`` (the buyer who asked only)."""
        return self._edits.download(job_id, buyer, out_dir)

    # --- buyer accounts: the storefront's login ---------------------------------------------------

    def register_buyer(self, email: str, password: str) -> str:
        """Open a buyer account (the password kept only as a salted scrypt hash); returns the email as stored."""
        return self._accounts.register(email, password)

    def authenticate_buyer(self, email: str, password: str) -> bool:
        return self._accounts.authenticate(email, password)

    def buyers(self) -> list[str]:
        """Every buyer account's email."""
        return self._accounts.list()

    # --- the personal assistant ---------------------------------------------------------------

    def assistant(self, handle: str) -> Assistant:
        """The creator's personal assistant (one per creator and open home, so its index is reused)."""
        from studio.assistant import Assistant

        self.creator(handle)
        if handle not in self._assistants:
            self._assistants[handle] = Assistant(self.context, handle)
        return self._assistants[handle]
