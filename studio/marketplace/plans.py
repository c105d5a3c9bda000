"""Plans: the monthly subscriptions a creator pays for (policy data: `Policy.subscription_plans`).

A subscription is active from its start until its end. One that renews has no end until it is
cancelled; a cancelled one runs to the end of the month already paid for
(`Policy.plan_period_days` after the start, or a whole number of those). Whether a plan is
active is read against `ctx.now()` whenever it is asked: no background job ends a plan.
Publishing a creation model needs a vetted creator with an active `Policy.publish_plan`
subscription. Each change commits with its ledger event (`plan.subscribed`, `plan.cancelled`).

Homes from before schema 4 kept a plan label on the creator (`Creator.plan`); a creator whose
label costs money (`plan_cents` > 0, e.g. the sample creators' "creator") gets an active
creation subscription the first time the upgraded home is opened (`adopt_legacy`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import dollars
from studio.rights import ledger
from studio.store.schema import LEGACY_PLANS_KEY
from studio.store.tables import Creator, Meta, Subscription, iso


@dataclass(frozen=True)
class PlanView:
    id: str
    handle: str
    plan: str
    cents: int  # per month
    started_at: datetime
    ends_at: datetime | None  # None: renews every month until cancelled
    cancelled_at: datetime | None
    active: bool

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if not self.active:
            return f"{self.plan} plan ({dollars(self.cents)}/month): ended {self.ends_at:%Y-%m-%d %H:%M} UTC"
        until = (f"cancelled, active until {self.ends_at:%Y-%m-%d %H:%M} UTC" if self.ends_at
                 else "renews monthly")
        return f"{self.plan} plan ({dollars(self.cents)}/month): active since {self.started_at:%Y-%m-%d}, {until}"


def is_active(sub: Subscription, now: datetime) -> bool:
    return sub.started_at <= now and (sub.ends_at is None or now < sub.ends_at)


def paid_until(started_at: datetime, now: datetime, period_days: int) -> datetime:
    """The end of the month (period) that ``now`` falls in: where a plan cancelled at ``now`` ends."""
    period = timedelta(days=period_days)
    months = max(0, (now - started_at) // period) + 1
    return started_at + months * period


class Plans:
    def __init__(self, ctx: StudioContext, creators):
        self.ctx, self.creators = ctx, creators

    def _view(self, sub: Subscription, handle: str) -> PlanView:
        return PlanView(sub.id, handle, sub.plan, sub.cents, sub.started_at, sub.ends_at, sub.cancelled_at,
                        is_active(sub, self.ctx.now()))

    def _plan(self, plan: str) -> int:
        plans = self.ctx.policy.subscription_plans
        if plan not in plans:
            raise StudioError(f"there is no {plan!r} plan; plans: "
                              + ", ".join(f"{name} ({dollars(c)}/month)" for name, c in plans.items()))
        return plans[plan]

    def _current(self, s, creator: Creator, plan: str) -> Subscription | None:
        """The creator's active subscription to ``plan``, if any."""
        now = self.ctx.now()
        rows = s.scalars(select(Subscription).where(Subscription.creator_id == creator.id, Subscription.plan == plan)
                         .order_by(Subscription.started_at.desc()))
        return next((r for r in rows if is_active(r, now)), None)

    def subscribe(self, handle: str, plan: str = "creation") -> PlanView:
        """Start a monthly plan now (refused while the creator already has it)."""
        cents = self._plan(plan)
        with self.ctx.transaction() as s:
            creator = self.ctx.creator_row(s, handle)
            current = self._current(s, creator, plan)
            if current is not None:
                raise StudioError(f"{handle} already has the {self._view(current, handle).describe()}")
            sub = self._add(s, creator, plan, cents)
            view = self._view(sub, handle)
        self.ctx.emit(EventKind.PLAN_CHANGED, handle, plan=plan, active=True)
        return view

    def _add(self, s, creator: Creator, plan: str, cents: int, adopted_from: str | None = None) -> Subscription:
        sub = Subscription(creator_id=creator.id, plan=plan, cents=cents, started_at=self.ctx.now())
        s.add(sub)
        s.flush()
        payload = {"creator": creator.handle, "creator_id": creator.id, "plan": plan, "cents": cents,
                   "started_at": iso(sub.started_at)}
        if adopted_from is not None:
            payload["adopted_from"] = adopted_from
        ledger.append(s, "plan.subscribed", sub.id, payload)
        return sub

    def cancel(self, handle: str, plan: str = "creation") -> PlanView:
        """Stop renewing: the plan stays active to the end of the month already paid for."""
        self._plan(plan)
        with self.ctx.transaction() as s:
            creator = self.ctx.creator_row(s, handle)
            sub = self._current(s, creator, plan)
            if sub is None:
                raise StudioError(f"{handle} has no active {plan} plan to cancel")
            if sub.cancelled_at is not None:
                raise StudioError(f"{handle}'s {plan} plan is already cancelled "
                                  f"(active until {sub.ends_at:%Y-%m-%d %H:%M} UTC)")
            now = self.ctx.now()
            sub.cancelled_at = now
            sub.ends_at = paid_until(sub.started_at, now, self.ctx.policy.plan_period_days)
            ledger.append(s, "plan.cancelled", sub.id, {"creator": handle, "plan": plan,
                                                        "cancelled_at": iso(now), "ends_at": iso(sub.ends_at)})
            view = self._view(sub, handle)
        self.ctx.emit(EventKind.PLAN_CHANGED, handle, plan=plan, active=view.active)
        return view

    def list(self, handle: str) -> list[PlanView]:
        """Every subscription the creator has had, newest first."""
        with self.ctx.reading() as s:
            creator = self.ctx.creator_row(s, handle)
            return [self._view(r, handle) for r in s.scalars(
                select(Subscription).where(Subscription.creator_id == creator.id)
                .order_by(Subscription.started_at.desc()))]

    def active(self, handle: str, plan: str = "creation") -> PlanView | None:
        with self.ctx.reading() as s:
            sub = self._current(s, self.ctx.creator_row(s, handle), plan)
            return self._view(sub, handle) if sub else None

    def require_publishing(self, handle: str) -> Creator:
        """The creator, if they may publish a creation model: vetted, with an active plan for it."""
        creator = self.creators.require_vetted(handle)
        plan = self.ctx.policy.publish_plan
        if self.active(handle, plan) is None:
            ended = next((p for p in self.list(handle) if p.plan == plan), None)
            why = f"{handle}'s {plan} plan ended on {ended.ends_at:%Y-%m-%d}" if ended else \
                f"{handle} has no {plan} plan"
            raise StudioError(f"{why}; publishing a model needs an active one "
                              f"({dollars(self._plan(plan))}/month): `studio plan subscribe {handle} --plan {plan}`")
        return creator

    def adopt_legacy(self) -> int:
        """Once, after the upgrade to schema 4: creators on a paid plan label get an active creation plan."""
        if self.ctx.key is None:
            return 0  # a home without its key writes nothing; adopted when the key is back
        with self.ctx.reading() as s:
            if s.get(Meta, LEGACY_PLANS_KEY) is None:
                return 0
        plan = self.ctx.policy.publish_plan
        adopted = 0
        with self.ctx.transaction() as s:
            marker = s.get(Meta, LEGACY_PLANS_KEY)
            if marker is None:  # another process adopted them meanwhile
                return 0
            for creator in s.scalars(select(Creator).where(Creator.plan_cents > 0).order_by(Creator.handle)):
                if self._current(s, creator, plan) is None:
                    self._add(s, creator, plan, self._plan(plan), adopted_from=creator.plan)
                    adopted += 1
            s.delete(marker)
        return adopted
