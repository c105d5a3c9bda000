"""The studio's own pricing data: its exposure log, and randomised price tests run through the marketplace itself.

**The exposure log.** Every preview a buyer is shown is a `Generation` row with the price in force
(``price_cents``, ``price_id``); a `Purchase` points back at it (`Studio.exposures`). `exposure_log` turns that
into the log shape `studio.pricing.estimate` reads (price, bought, buyer, shown_at, creator, experiment, arm).

**Which rows are randomised.** Prices a creator set by hand (`studio model price`) are a price *history*: they
changed when the creator chose to, so they are confounded with whatever made them choose. Only previews shown
under a price test started here were randomised; `exposure_log` marks the frame ``attrs["randomised"]`` so, and
`estimate_from_studio` fits a demand curve to those rows only, or refuses (or, asked to, gives the
double-machine-learning estimate of the local price effect from the history: `studio.pricing.observational`).

**A live price test.** `start` records ``pricing.experiment.started`` in the ledger (the arms in cents, the
control first: the price in force; the unit: ``buyer`` or ``day``). While it runs the marketplace asks
`assignment` which price each buyer is shown: a buyer (or, for a switchback by day, a UTC day) is assigned an arm
by a hash of the experiment and the buyer (or day), so the assignment is stable and can be recomputed by anyone
holding the ledger. The preview's `Generation` row records the arm's price and ``price_id = EXPERIMENT:ARM``
(the exposure), and its ``generation.created`` ledger event says the same; a purchase is at that price. `status`
reads the arms back: exposures, units, purchases, revenue per exposure with delta-method intervals over the
randomised units, the sample-ratio check, and Holm's correction across arms. `stop` records
``pricing.experiment.stopped`` with the final status; the listing price is untouched throughout.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlalchemy import select

from studio.errors import StudioError
from studio.money import check_price_cents
from studio.rights import ledger
from studio.store.tables import Model, Price, iso

STARTED, STOPPED = "pricing.experiment.started", "pricing.experiment.stopped"
UNITS = ("buyer", "day")


def _model(s, ctx, handle: str) -> Model:
    creator = ctx.creator_row(s, handle)
    model = s.scalar(select(Model).where(Model.creator_id == creator.id).order_by(Model.created_at))
    if model is None:
        raise StudioError(f"{handle!r} has no model yet: a price test needs a published, priced model")
    return model


def _experiments(s, model_id: str) -> list[dict]:
    """The model's price tests, oldest first, each with its stop (if stopped)."""
    out: dict[str, dict] = {}
    for ev in ledger.events(s, subject=model_id):
        if ev.kind == STARTED:
            out[json.loads(ev.payload)["experiment"]] = {**json.loads(ev.payload), "stopped_at": None}
        elif ev.kind == STOPPED:
            p = json.loads(ev.payload)
            if p["experiment"] in out:
                out[p["experiment"]]["stopped_at"] = p["stopped_at"]
    return list(out.values())


def running(s, model_id: str) -> dict | None:
    live = [e for e in _experiments(s, model_id) if e["stopped_at"] is None]
    return live[-1] if live else None


def arm_of(experiment: dict, buyer: str, now: datetime) -> int:
    """The arm a buyer (or a day, for a switchback) is in: a stable hash, recomputable from the ledger."""
    key = buyer.strip().lower() if experiment["unit"] == "buyer" else now.date().isoformat()
    digest = hashlib.sha256(f"{experiment['experiment']}|{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % len(experiment["arms"])


def assignment(s, model_id: str, buyer: str, now: datetime) -> tuple[str, int] | None:
    """The marketplace's question while generating a buyer's preview: (price_id, cents) if a price test is
    running on this model, else None (the listing price applies)."""
    exp = running(s, model_id)
    if exp is None:
        return None
    arm = arm_of(exp, buyer, now)
    return f"{exp['experiment']}:{arm}", int(exp["arms"][arm])


def start(st, handle: str, cents: list[int], unit: str = "buyer") -> dict:
    """Start a price test on `handle`'s model: the price in force against each of `cents`."""
    ctx = st.context
    if unit not in UNITS:
        raise StudioError(f"--unit must be one of {', '.join(UNITS)}, not {unit!r}")
    cents = [check_price_cents(int(c), ctx.policy) for c in cents]
    with ctx.transaction() as s:
        model = _model(s, ctx, handle)
        if model.status != "published":
            raise StudioError(f"{handle}'s model is not published: buyers must be able to see it to test a price")
        if running(s, model.id):
            raise StudioError(f"a price test is already running on {handle}'s model; stop it first "
                              f"(`studio pricing experiment stop {handle}`)")
        current = s.scalar(select(Price).where(Price.model_id == model.id)
                           .order_by(Price.effective_at.desc(), Price.id.desc()))
        if current is None:
            raise StudioError(f"{handle}'s model has no price yet: the price in force is the test's control")
        arms = [current.cents] + [c for c in dict.fromkeys(cents) if c != current.cents]
        if len(arms) < 2:
            raise StudioError(f"give at least one price other than the current {current.cents / 100:.2f}")
        exp = {"experiment": "pxp_" + secrets.token_hex(6), "creator": handle, "model": model.id, "arms": arms,
               "control_price": current.id, "unit": unit, "started_at": iso(ctx.now())}
        ledger.append(s, STARTED, model.id, exp)
    return status(st, handle)


def stop(st, handle: str) -> dict:
    """Stop the running test on `handle`'s model; the listing price stays what it was."""
    ctx = st.context
    result = status(st, handle)
    if result["state"] != "running":
        raise StudioError(f"no price test is running on {handle}'s model")
    with ctx.transaction() as s:
        model = _model(s, ctx, handle)
        exp = running(s, model.id)
        if exp is None or exp["experiment"] != result["experiment"]:
            raise StudioError(f"the price test on {handle}'s model changed while stopping it; try again")
        stopped_at = iso(ctx.now())
        ledger.append(s, STOPPED, model.id, {"experiment": exp["experiment"], "stopped_at": stopped_at,
                                             "arms": [{k: a[k] for k in ("cents", "exposures", "units", "purchases")}
                                                      for a in result["arms"]]})
    return {**result, "state": "stopped", "stopped_at": stopped_at}


def exposure_log(st, handle: str | None = None):
    """The studio's exposure log as a DataFrame (one row per preview offered to a buyer), prices in dollars.

    ``attrs["randomised"]`` is True when every row was shown under a price test, False otherwise.
    """
    import pandas as pd

    rows = []
    for e in st.exposures(handle):
        if not e["offered"] or e["price_cents"] is None:
            continue
        exp, _, arm = (e["price"] or "").partition(":")
        is_test = exp.startswith("pxp_") and arm.isdigit()
        rows.append({"price": e["price_cents"] / 100, "bought": int(bool(e["bought"])), "buyer": e["buyer"],
                     "creator": e["creator"], "shown_at": e["shown_at"], "experiment": exp if is_test else None,
                     "arm": int(arm) if is_test else None})
    frame = pd.DataFrame(rows, columns=["price", "bought", "buyer", "creator", "shown_at", "experiment", "arm"])
    frame.attrs["randomised"] = bool(len(frame)) and bool(frame["experiment"].notna().all())
    return frame


def status(st, handle: str, experiment: str | None = None) -> dict:
    """The running (or latest, or named) price test on `handle`'s model, arm by arm."""
    from studio.pricing import stats

    ctx = st.context
    with ctx.reading() as s:
        exps = _experiments(s, _model(s, ctx, handle).id)
    if experiment:
        exps = [e for e in exps if e["experiment"] == experiment]
    if not exps:
        raise StudioError(f"no price test on {handle}'s model" + (f" named {experiment}" if experiment else ""))
    exp = exps[-1]
    log = exposure_log(st, handle)
    log = log[log["experiment"] == exp["experiment"]]
    unit = "buyer" if exp["unit"] == "buyer" else "day"
    log = log.assign(unit=log["buyer"] if unit == "buyer" else log["shown_at"].map(lambda t: t.date().isoformat()))
    fee = ctx.policy.platform_fee_bps
    arms, per_unit = [], []
    for i, cents in enumerate(exp["arms"]):
        a = log[log["arm"] == i]
        g = a.groupby("unit").agg(n=("bought", "size"), k=("bought", "sum"))
        per_unit.append(g)
        arms.append({"arm": i, "cents": int(cents), "control": i == 0, "exposures": int(len(a)), "units": int(len(g)),
                     "purchases": int(a["bought"].sum()),
                     "conversion": float(a["bought"].mean()) if len(a) else None,
                     "net_per_exposure": float(a["bought"].mean() * cents * (10_000 - fee) / 1e6) if len(a) else None})
    units = [a["units"] for a in arms]
    srm = stats.srm(units) if sum(units) and unit == "buyer" else None
    comparisons = []
    base = per_unit[0]
    for i in range(1, len(arms)):
        g = per_unit[i]
        if len(g) < 2 or len(base) < 2:
            comparisons.append({"arm": i, "cents": arms[i]["cents"], "enough_data": False})
            continue
        net = lambda frame, c: frame["k"].to_numpy(float) * c * (10_000 - fee) / 1e6  # noqa: E731
        r = stats.ratio_compare(net(base, arms[0]["cents"]), base["n"], net(g, arms[i]["cents"]), g["n"])
        comparisons.append({"arm": i, "cents": arms[i]["cents"], "enough_data": True, "diff": r["diff"],
                            "ci": r["ci"], "lift": r["lift"], "p_value": r["p_value"]})
    tested = [c for c in comparisons if c["enough_data"]]
    if tested:
        h = stats.holm([c["p_value"] for c in tested])
        for c, adj, rej in zip(tested, h["adjusted"], h["reject"]):
            c.update(p_holm=adj, significant=rej)
    return {"experiment": exp["experiment"], "creator": handle, "state": "running" if exp["stopped_at"] is None
            else "stopped", "unit": unit, "started_at": exp["started_at"], "stopped_at": exp["stopped_at"],
            "arms": arms, "srm": srm, "comparisons": comparisons,
            "note": "net = sales after the platform fee per preview shown; intervals are delta-method over "
                    f"randomised {unit}s, read at a fixed horizon (decide the horizon before looking)"}


def estimate_from_studio(st, handle: str | None = None, *, dml: bool = False, **kwargs):
    """Demand from the studio's own log: the randomised rows of its price tests, else refuse (or, with
    `dml`, the double-machine-learning estimate of the local price effect from the price history)."""
    from studio.pricing.estimate import NOT_RANDOMISED, estimate
    from studio.pricing.observational import dml as dml_estimate

    log = exposure_log(st, handle)
    who = f"{handle}'s model" if handle else "the studio"
    if len(log) == 0:
        raise StudioError(f"{who} has no previews shown to buyers at a price yet: nothing to estimate from")
    tested = log[log["experiment"].notna()]
    if len(tested) and tested["price"].nunique() >= 2:
        frame = tested[["price", "bought"]].reset_index(drop=True)
        frame.attrs["randomised"] = True  # these rows were shown under a price test (attrs are inherited)
        return {"design": "randomised", "rows": len(frame), "estimate": estimate(frame, **kwargs)}
    if not dml:
        raise StudioError(f"{who}: {len(log):,} previews, none under a price test. " + NOT_RANDOMISED)
    return {"design": "observational (double machine learning)", "rows": len(log), "estimate": dml_estimate(log)}
