"""A/B analysis, peeking-safe sequential tests, CUPED, SRM, and two-sided interference."""

from __future__ import annotations

import numpy as np
import pytest

from studio import pricing
from studio.errors import StudioError
from studio.pricing import interference, stats


def test_compare_interval_covers_the_true_difference():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(200):
        a, b = rng.binomial(1, 0.10, 2_000), rng.binomial(1, 0.12, 2_000)
        r = stats.compare(a, b)
        covered += r["ci"][0] <= 0.02 <= r["ci"][1]
    assert 0.91 <= covered / 200 <= 0.99  # a 95% interval covers about 95% of the time


def test_sample_size_and_mde_agree():
    sd = np.sqrt(0.1 * 0.9)
    n = stats.sample_size(sd, 0.01)
    assert 14_000 < n < 14_200  # the textbook figure for 10% -> 11% at alpha 0.05, power 0.8
    assert stats.mde(n, sd) == pytest.approx(0.01, rel=0.01)
    with pytest.raises(StudioError):
        stats.sample_size(sd, 0)


def test_peeking_inflates_naive_p_values_but_not_always_valid_ones():
    rng = np.random.default_rng(1)
    naive = valid = 0
    runs = 200
    for _ in range(runs):  # A/A tests: no true difference; peek 20 times each
        a, b = rng.binomial(1, 0.2, 4_000).astype(float), rng.binomial(1, 0.2, 4_000).astype(float)
        seq = stats.sequential(a, b, tau=0.02)
        naive += (seq["p_naive"] < 0.05).any()
        valid += seq["stop"].any()
    assert naive / runs > 0.12   # peeking at a t-test fires far more than 5%
    assert valid / runs <= 0.05  # the always-valid test keeps its promise


def test_sequential_detects_a_real_effect_and_its_sequence_covers_it():
    rng = np.random.default_rng(2)
    a, b = rng.binomial(1, 0.20, 20_000).astype(float), rng.binomial(1, 0.23, 20_000).astype(float)
    seq = stats.sequential(a, b, tau=0.02)
    assert seq["stop"].iloc[-1]
    last = seq.iloc[-1]
    assert last["cs_lo"] <= 0.03 <= last["cs_hi"]
    assert (np.diff(seq["p_always_valid"]) <= 0).all()  # an always-valid p-value never goes back up


def test_cuped_narrows_the_interval_without_moving_the_estimate():
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.gamma(2.0, 1.0, n)                    # pre-period spend
    t = rng.random(n) < 0.5
    y = 0.8 * x + rng.normal(0, 1, n) + 0.05 * t  # true effect 0.05
    r = stats.cuped(y, x, t)
    width = lambda c: c["ci"][1] - c["ci"][0]
    assert r["variance_reduction"] > 0.4
    assert width(r["adjusted"]) < 0.8 * width(r["unadjusted"])
    assert r["adjusted"]["ci"][0] <= 0.05 <= r["adjusted"]["ci"][1]


def test_srm_flags_a_broken_split():
    assert not stats.srm([10_030, 9_970])["mismatch"]
    assert stats.srm([10_400, 9_600])["mismatch"]
    assert not stats.srm([6_000, 4_000], [0.6, 0.4])["mismatch"]


def test_buyer_side_randomisation_is_biased_when_capacity_binds():
    tight = interference.study(pricing.bimodal(), 1.0, 1.5, creators=40, capacity=4, seed=0).set_index("design")
    truth = tight.loc["truth (global treatment effect)", "estimate"]
    buyer = tight.loc["buyer-side randomisation (naive)"]
    creator = tight.loc["creator-side randomisation"]
    assert abs(buyer["bias"]) > 0.5 * abs(truth) and not buyer["covers_truth"]
    assert creator["covers_truth"] and abs(creator["bias"]) < abs(buyer["bias"]) / 3
    loose = interference.study(pricing.bimodal(), 1.0, 1.5, creators=40, capacity=10_000, seed=0).set_index("design")
    assert loose.loc["buyer-side randomisation (naive)", "covers_truth"]  # no binding capacity, no interference
