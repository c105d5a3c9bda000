"""Demand families: who would pay how much for one AI generation.

Every family is a distribution of buyers' willingness to pay (WTP, dollars per
generation). Two views of the same thing:

- `sample(n, rng)` draws n buyers' WTP (and a segment label, for mixtures), for
  the simulator;
- `survival(p)` = P(WTP >= p) is the true demand curve D(p): the chance a buyer
  offered price p buys. It gives the oracle its exact answer.

Prices in the pricing lab are dollars as floats (analysis only); the store keeps
integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special

from studio.errors import StudioError


class Demand:
    """Base class: a distribution of willingness to pay."""

    name = "demand"

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def survival(self, p) -> np.ndarray:
        raise NotImplementedError

    def revenue(self, p) -> np.ndarray:
        """Expected revenue per session at price p: R(p) = p * D(p)."""
        p = np.asarray(p, dtype=float)
        return p * self.survival(p)

    def optimum(self, lo: float = 0.01, hi: float = 20.0) -> tuple[float, float]:
        """The revenue-maximising price in [lo, hi] and its revenue per session (numeric)."""
        from scipy.optimize import minimize_scalar

        grid = np.geomspace(lo, hi, 4000)
        r = self.revenue(grid)
        i = int(np.argmax(r))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        if b > a:
            res = minimize_scalar(lambda x: -float(self.revenue(np.array([x]))[0]), bounds=(a, b), method="bounded",
                                  options={"xatol": 1e-7})
            if -res.fun >= r[i]:
                return float(res.x), float(-res.fun)
        return float(grid[i]), float(r[i])

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Logit(Demand):
    """Logit demand: D(p) = 1 / (1 + exp(-(a - b p))). WTP is logistic(a/b, 1/b)."""

    a: float
    b: float
    name: str = "logit"

    def __post_init__(self):
        if not self.b > 0:
            raise StudioError(f"logit demand needs a positive price coefficient b (got {self.b})")

    @classmethod
    def around(cls, centre: float, spread: float, name: str = "logit") -> "Logit":
        """Half of buyers pay `centre` or more; `spread` (dollars) sets how gradual the drop is."""
        return cls(centre / spread, 1.0 / spread, name)

    def sample(self, n, rng):
        return self.a / self.b + rng.logistic(size=n) / self.b, None

    def survival(self, p):
        return special.expit(self.a - self.b * np.asarray(p, dtype=float))

    def describe(self):
        return f"logit a={self.a:g} b={self.b:g}"


@dataclass(frozen=True)
class Linear(Demand):
    """Linear demand: D(p) = 1 - p / pmax on [0, pmax]. WTP is uniform on [0, pmax]."""

    pmax: float
    name: str = "linear"

    def __post_init__(self):
        if not self.pmax > 0:
            raise StudioError(f"linear demand needs a positive choke price (got {self.pmax})")

    def sample(self, n, rng):
        return rng.uniform(0.0, self.pmax, size=n), None

    def survival(self, p):
        return np.clip(1.0 - np.asarray(p, dtype=float) / self.pmax, 0.0, 1.0)

    def describe(self):
        return f"linear pmax=${self.pmax:g}"


@dataclass(frozen=True)
class ConstantElasticity(Demand):
    """Constant elasticity above a floor: D(p) = min(1, (p / p0) ** -elasticity).

    WTP is Pareto with minimum p0. With elasticity > 1, revenue peaks at p0 (below
    it every buyer buys; above it each 1% rise loses more than 1% of buyers).
    """

    elasticity: float
    p0: float
    name: str = "elasticity"

    def __post_init__(self):
        if not (self.elasticity > 0 and self.p0 > 0):
            raise StudioError("constant-elasticity demand needs elasticity > 0 and p0 > 0")

    def sample(self, n, rng):
        u = 1.0 - rng.random(n)  # (0, 1]
        return self.p0 * u ** (-1.0 / self.elasticity), None

    def survival(self, p):
        p = np.asarray(p, dtype=float)
        with np.errstate(divide="ignore"):
            return np.minimum(1.0, (np.maximum(p, 1e-300) / self.p0) ** (-self.elasticity))

    def describe(self):
        return f"constant elasticity {self.elasticity:g} above ${self.p0:g}"


@dataclass(frozen=True)
class LogNormal(Demand):
    """Log-normal WTP with the given median (dollars) and log-scale sigma."""

    median: float
    sigma: float
    name: str = "lognormal"

    def __post_init__(self):
        if not (self.median > 0 and self.sigma > 0):
            raise StudioError("log-normal demand needs median > 0 and sigma > 0")

    def sample(self, n, rng):
        return self.median * np.exp(self.sigma * rng.standard_normal(n)), None

    def survival(self, p):
        p = np.maximum(np.asarray(p, dtype=float), 1e-300)
        return special.ndtr(-(np.log(p) - np.log(self.median)) / self.sigma)

    def describe(self):
        return f"log-normal median ${self.median:g} sigma {self.sigma:g}"


@dataclass(frozen=True)
class Empirical(Demand):
    """Real buyers' valuations: each session draws one of them (with replacement)."""

    values: tuple[float, ...]
    source: str = ""
    name: str = "empirical"

    def __post_init__(self):
        if len(self.values) == 0:
            raise StudioError(f"the valuation file {self.source or ''} has no buyers (no rows with a wtp)".replace("  ", " "))
        object.__setattr__(self, "_v", np.sort(np.asarray(self.values, dtype=float)))

    @property
    def _sorted(self) -> np.ndarray:
        return self._v

    def sample(self, n, rng):
        v = self._v  # order does not matter: each session draws one buyer uniformly
        return v[rng.integers(0, len(v), size=n)], None

    def survival(self, p):
        v = self._sorted
        p = np.asarray(p, dtype=float)
        return (len(v) - np.searchsorted(v, p, side="left")) / len(v)

    def optimum(self, lo: float = 0.01, hi: float = 20.0):
        # Revenue is piecewise increasing between valuations, so the best price is one of them.
        v = np.unique(self._sorted)
        v = v[(v >= lo) & (v <= hi)]
        if len(v) == 0:
            return super().optimum(lo, hi)
        r = self.revenue(v)
        i = int(np.argmax(r))
        return float(v[i]), float(r[i])

    def describe(self):
        return f"empirical: {len(self.values)} buyers" + (f" from {self.source}" if self.source else "")


@dataclass(frozen=True)
class Mixture(Demand):
    """A mix of buyer segments, e.g. hobby buyers and businesses: ((weight, label, demand), ...)."""

    parts: tuple[tuple[float, str, Demand], ...]
    name: str = "mixture"

    def __post_init__(self):
        w = np.array([p[0] for p in self.parts], dtype=float)
        if len(w) == 0 or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise StudioError("mixture weights must be non-negative and sum to 1")

    def sample(self, n, rng):
        w = np.array([p[0] for p in self.parts])
        seg = np.searchsorted(np.cumsum(w)[:-1], rng.random(n), side="right")
        wtp = np.empty(n)
        for k, (_, _, d) in enumerate(self.parts):
            idx = np.flatnonzero(seg == k)
            wtp[idx] = d.sample(len(idx), rng)[0]
        labels = np.array([p[1] for p in self.parts], dtype=object)
        return wtp, labels[seg]

    def survival(self, p):
        return sum(w * d.survival(p) for w, _, d in self.parts)

    def describe(self):
        return " + ".join(f"{w:.0%} {label} ({d.describe()})" for w, label, d in self.parts)


def bimodal(hobby_share: float = 0.7) -> Mixture:
    """Hobby buyers (about $0.35 a generation) and businesses (median $2, log-normal)."""
    return Mixture(((hobby_share, "hobby", Logit.around(0.35, 0.08, "hobby")),
                    (1 - hobby_share, "business", LogNormal(2.0, 0.3, "business"))), name="bimodal")


def read_valuations(path: Path | str) -> Empirical:
    """Read a CSV of buyers' valuations: a `wtp` column in dollars, one buyer per row."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise StudioError(f"valuation file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise StudioError(f"the valuation file {path} is empty: it needs a 'wtp' column with one buyer per row") from None
    if "wtp" not in frame.columns:
        raise StudioError(f"the valuation file {path} has no 'wtp' column (found: {', '.join(map(str, frame.columns)) or 'none'})")
    raw = frame["wtp"]
    wtp = pd.to_numeric(raw, errors="coerce")
    bad = wtp.isna() & raw.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise StudioError(f"{path}: row {i + 2}: wtp {raw.iloc[i]!r} is not a number")
    wtp = wtp.dropna()
    if len(wtp) == 0:
        raise StudioError(f"the valuation file {path} is empty: it needs a 'wtp' column with one buyer per row")
    if (wtp < 0).any():
        i = int(np.flatnonzero((wtp < 0).to_numpy())[0])
        raise StudioError(f"{path}: wtp {wtp.iloc[i]} is negative; valuations are dollars >= 0")
    return Empirical(tuple(float(x) for x in wtp), source=path.name)


def parse_demand(spec: str) -> Demand:
    """Demand from a short spec: logit:A,B | linear:PMAX | elasticity:E,P0 | lognormal:MEDIAN,SIGMA | bimodal[:SHARE]."""
    kind, _, rest = spec.strip().partition(":")
    try:
        nums = [float(x) for x in rest.split(",") if x.strip()] if rest else []
    except ValueError:
        raise StudioError(f"demand {spec!r}: parameters must be numbers, e.g. logit:3,4") from None
    expect = {"logit": 2, "linear": 1, "elasticity": 2, "lognormal": 2}
    kind = kind.lower()
    if kind == "bimodal":
        return bimodal(*nums[:1])
    if kind not in expect:
        raise StudioError(f"unknown demand {kind!r}: use logit:A,B, linear:PMAX, elasticity:E,P0, lognormal:MEDIAN,SIGMA or bimodal")
    if len(nums) != expect[kind]:
        raise StudioError(f"demand {spec!r}: {kind} takes {expect[kind]} number(s)")
    return {"logit": Logit, "linear": Linear, "elasticity": ConstantElasticity, "lognormal": LogNormal}[kind](*nums)


def reference_families() -> dict[str, Demand]:
    """The demand families the lab's quality bar is checked on (tests and `make bench` alike),
    including the bimodal mix of hobby buyers and businesses."""
    return {
        "logit": Logit.around(0.8, 0.3),
        "linear": Linear(2.0),
        "elasticity": ConstantElasticity(2.0, 0.5),
        "lognormal": LogNormal(1.0, 0.5),
        "bimodal": bimodal(),
    }
