"""The pricing lab panel: pick a demand and a policy, run a study, read the curve and the recommendation.

Holds no business state: every number comes from `studio.pricing` (the
simulator, the policy run, the Bayesian demand estimate). Prices are dollars.

The page paints first and computes later: building the lab imports only ipywidgets and numpy.
`studio.pricing` (scipy, pandas) is imported by the first study, and the charts (bqplot) are built
when that study has something to draw; until then the page says where they will appear.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from studio.errors import StudioError
from studio.storefront.theme import COLOURS, ERROR, MUTED

DEMANDS = {
    "Bimodal: hobby buyers + businesses": "bimodal",
    "Logit": "logit:2.67,3.33",
    "Linear": "linear:2",
    "Constant elasticity": "elasticity:2,0.5",
    "Log-normal": "lognormal:1,0.5",
}
POLICIES = {"Thompson sampling": "thompson", "Explore then commit (20%)": "etc:0.2", "UCB": "ucb",
            "Even A/B/n split": "ab", "Fixed price": "fixed"}


class PricingLab(w.VBox):
    """Run a pricing study on the simulator and see revenue curve, regret and recommended price."""

    def __init__(self, sessions: int = 20_000, seed: int = 0):
        super().__init__()
        self.add_class("studio-pricing")
        self.last_run = None       # the latest RunResult (for export); the lab itself decides nothing
        self.last_estimate = None
        self.results = None        # pandas DataFrame of the latest study, one row per grid price

        self.demand = w.Dropdown(options=list(DEMANDS.items()), value="bimodal", description="Demand")
        self.valuations = w.Text(placeholder="or a CSV of buyers' valuations (wtp column)", description="Valuations")
        self.policy = w.Dropdown(options=list(POLICIES.items()), value="thompson", description="Policy")
        self.fixed_price = w.FloatText(value=1.0, description="Fixed $", layout=w.Layout(width="160px"))
        self.price_range = w.FloatRangeSlider(value=(0.1, 3.0), min=0.05, max=10.0, step=0.05,
                                              description="Prices $", readout_format=".2f")
        self.n_prices = w.IntSlider(value=10, min=2, max=20, description="Grid points")
        self.sessions = w.IntSlider(value=sessions, min=1_000, max=200_000, step=1_000, description="Sessions")
        self.seed = w.IntText(value=seed, description="Seed", layout=w.Layout(width="160px"))
        self.run_button = w.Button(description="Run study", button_style="primary", icon="play",
                                   tooltip="Run the policy on the simulator and estimate demand")
        self.run_button.add_class("studio-pricing-run")
        self.status = w.HTML("Choose a demand and a policy, then <b>Run study</b>.")
        self.status.add_class("studio-pricing-status")
        self.recommendation = w.HTML()
        self.recommendation.add_class("studio-pricing-recommendation")
        self.table = w.HTML()
        self.table.add_class("studio-pricing-table")

        self.charts = w.HBox([w.HTML("<div class='studio-empty'>No study yet: the revenue curve and the regret "
                                     "appear here after <b>Run study</b>.</div>")])
        self.charts.add_class("studio-pricing-charts")
        self.revenue_fig = self.regret_fig = None  # built by the first study (bqplot is imported then)

        self.run_button.on_click(lambda _b: self.run())
        self.policy.observe(lambda _c: self._sync(), names="value")
        self._sync()
        controls = w.VBox([w.HBox([self.demand, self.valuations]), w.HBox([self.policy, self.fixed_price]),
                           w.HBox([self.price_range, self.n_prices]), w.HBox([self.sessions, self.seed]),
                           w.HBox([self.run_button, self.status])])
        self.children = [w.HTML("<h3>Pricing lab</h3><p><b>Simulation</b>: every market here is simulated, and the "
                                "true curve is known only because of that.</p>"), controls, self.recommendation,
                         self.charts, self.table]

    def _build_charts(self) -> None:
        """The revenue and regret charts, built once, when the first study has something to draw."""
        from bqplot import Axis, Figure, LinearScale, Lines, Scatter

        # Revenue curve: posterior band and mean, the true curve, observed revenue at each grid price.
        xs, ys = LinearScale(), LinearScale(min=0.0)
        self.band = Lines(x=[], y=[[], []], scales={"x": xs, "y": ys}, fill="between", colors=["#9ecae1", "#9ecae1"],
                          fill_colors=[COLOURS["accent_soft"]], fill_opacities=[0.6], stroke_width=0,
                          labels=["90% band"])
        self.mean = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[COLOURS["accent"]], labels=["estimated R(p)"])
        self.truth = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#636363"], line_style="dashed",
                           labels=["true R(p)"])
        self.points = Scatter(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#e6550d"], default_size=40,
                              labels=["observed"])
        self.best = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#31a354"], labels=["recommended"])
        self.revenue_fig = Figure(marks=[self.band, self.truth, self.mean, self.points, self.best],
                                  axes=[Axis(scale=xs, label="price per generation ($)"),
                                        Axis(scale=ys, orientation="vertical", label="revenue per session ($)")],
                                  title="Revenue curve R(p) = p·D(p)", legend_location="top-right",
                                  layout=w.Layout(width="620px", height="380px"))
        self.revenue_fig.add_class("studio-pricing-revenue")
        rx, ry = LinearScale(), LinearScale(min=0.0)
        self.regret = Lines(x=[], y=[], scales={"x": rx, "y": ry}, colors=["#a50f15"])
        self.regret_fig = Figure(marks=[self.regret], axes=[Axis(scale=rx, label="sessions"),
                                                            Axis(scale=ry, orientation="vertical", label="regret ($)")],
                                 title="Cumulative regret against the oracle", layout=w.Layout(width="480px", height="380px"))
        self.regret_fig.add_class("studio-pricing-regret")
        self.charts.children = [self.revenue_fig, self.regret_fig]

    def _sync(self) -> None:
        self.fixed_price.layout.display = "" if self.policy.value == "fixed" else "none"

    # --- the one action ------------------------------------------------------------------

    def grid(self) -> np.ndarray:
        lo, hi = self.price_range.value
        return np.unique(np.round(np.geomspace(lo, hi, self.n_prices.value), 2))

    def market(self):
        """The simulated market (a `studio.pricing.Market`) for the chosen demand or valuations file."""
        from studio import pricing

        path = self.valuations.value.strip()
        demand = pricing.read_valuations(path) if path else pricing.parse_demand(self.demand.value)
        return pricing.Market(demand)

    def run(self) -> None:
        """Run the chosen policy, estimate demand from its sessions, and show everything."""
        self.run_button.disabled = True
        self.run_button.description = "Running…"
        self.status.value = "<i>running the study…</i>"
        if self.revenue_fig is None:  # attached (and drawn empty) while the study runs, so the data lands on
            self._build_charts()      # a figure the page has already laid out
        try:
            from studio import pricing  # scipy and pandas: imported by the first study, not by the page

            market = self.market()
            spec = self.policy.value if self.policy.value != "fixed" else f"fixed:{self.fixed_price.value}"
            result = pricing.run(market, pricing.make_policy(spec), self.grid(), self.sessions.value,
                                 seed=self.seed.value)
            try:
                est = result.estimate(seed=self.seed.value)
            except StudioError as exc:  # e.g. a fixed price: one price teaches no curve
                est, why = None, str(exc)
            else:
                why = ""
            self._show(market, result, est, why)
            self.status.value = f"done: {result.sessions:,} sessions"
        except StudioError as exc:
            self.status.value = f"<span style='color:{ERROR}'>{html.escape(str(exc))}</span>"
        finally:
            self.run_button.disabled = False
            self.run_button.description = "Run study"

    def _show(self, market, result, est, why: str) -> None:
        adaptive = result.policy.startswith(("thompson", "ucb", "explore"))
        self.last_run, self.last_estimate = result, est
        grid = result.prices
        fine = np.geomspace(grid.min(), grid.max(), 200)
        with self.revenue_fig.hold_sync():
            self.truth.x, self.truth.y = fine, market.demand.revenue(fine)
            # Only prices the policy showed: a price never shown has no observed revenue (not $0). Under an adaptive
            # policy these per-price means are biased low (a price with a bad start is shown less), so they are
            # labelled as observations, never as estimates.
            shown = result.arms["shown"].to_numpy() > 0
            self.points.x = grid[shown]
            self.points.y = result.arms["revenue_per_session"].to_numpy()[shown]
            self.points.labels = ["observed (adaptive: biased low)" if adaptive else "observed"]
            if est is not None:
                c = est.curve()
                self.band.x, self.band.y = c["price"].to_numpy(), [c["revenue_lo"].to_numpy(), c["revenue_hi"].to_numpy()]
                self.mean.x, self.mean.y = c["price"].to_numpy(), c["revenue"].to_numpy()
                top = float(c["revenue_hi"].max())
                self.best.x, self.best.y = [est.best_price] * 2, [0.0, top]
            else:
                self.band.x, self.band.y = [], [[], []]
                self.mean.x, self.mean.y = [], []
                self.best.x, self.best.y = [], []
        with self.regret_fig.hold_sync():
            self.regret.x, self.regret.y = result.curve["session"].to_numpy(), result.curve["regret"].to_numpy()

        table = result.arms.copy()
        if est is not None:
            cand = est.candidates()  # prices the policy actually showed; never extrapolated
            cand.columns = ["price", "estimated_revenue", "estimated_revenue_lo", "estimated_revenue_hi", "p_best",
                            "expected_loss"]
            table = table.merge(cand, on="price", how="left")
        if adaptive:  # observed per-price means under adaptive allocation are biased: not shown as estimates
            table = table.drop(columns=["conversion", "revenue_per_session"])
        self.results = table
        true_p, _ = market.demand.optimum(grid.min(), grid.max())
        line = (f"<b>{result.share_of_oracle:.1%}</b> of the oracle's revenue "
                f"(best grid price ${result.oracle_price:.2f}); conversion {result.conversion:.1%}, "
                f"buyer surplus ${result.buyer_surplus:,.0f}, regret ${result.regret:,.0f}.")
        if est is not None:
            lo, hi = est.best_price_range()
            rec = (f"<div style='font-size:1.3em'><b>Simulation.</b> Recommended price: <b>${est.best_price:.2f}</b> "
                   f"per generation <span style='color:{MUTED}'>(prices within 1% of the best revenue: ${lo:.2f}–${hi:.2f}; "
                   f"model {html.escape(est.family)}, chosen by cross-validation; held-out revenue "
                   f"${est.heldout_revenue:.3f} per session; the policy's own pick ${result.best_price:.2f}; "
                   f"true optimum ${true_p:.2f})</span></div>")
        else:
            rec = (f"<div style='font-size:1.3em'>Recommended price: <b>${result.best_price:.2f}</b> "
                   f"<span style='color:{MUTED}'>({html.escape(why)})</span></div>")
        self.recommendation.value = rec + f"<div>{html.escape(result.policy)}: " + line + "</div>"
        self.table.value = table.to_html(index=False, float_format=lambda x: f"{x:.4f}", na_rep="–",
                                         classes="studio-pricing-results")
