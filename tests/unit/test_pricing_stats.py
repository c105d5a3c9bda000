"""A/B analysis, peeking-safe sequential tests, CUPED, SRM, and two-sided interference."""

from __future__ import annotations

import numpy as np
import pytest

from studio import pricing
from studio.errors import StudioError
from studio.pricing import design, interference, stats


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
    # identical creators isolate the interference from creator-to-creator noise
    tight = interference.study(pricing.bimodal(), 1.0, 1.5, creators=40, capacity=4, creator_spread=0.0,
                               seed=0).set_index("design")
    truth = tight.loc["truth (global treatment effect)", "estimate"]
    buyer = tight.loc["buyer-side randomisation (naive)"]
    creator = tight.loc["creator-side randomisation"]
    assert abs(buyer["bias"]) > 0.5 * abs(truth) and not buyer["covers_truth"]
    assert creator["covers_truth"] and abs(creator["bias"]) < abs(buyer["bias"]) / 3
    loose = interference.study(pricing.bimodal(), 1.0, 1.5, creators=40, capacity=10_000, creator_spread=0.0,
                               seed=0).set_index("design")
    assert loose.loc["buyer-side randomisation (naive)", "covers_truth"]  # no binding capacity, no interference
    differ = interference.study(pricing.bimodal(), 1.0, 1.5, creators=40, capacity=4, seed=0).set_index("design")
    assert differ.loc["creator-side randomisation", "covers_truth"]  # creators who differ: unbiased, and wider
    widths = differ["ci_hi"] - differ["ci_lo"]
    assert widths["creator-side randomisation"] > widths["buyer-side randomisation (naive)"]


def test_sample_size_uses_a_variance_per_arm():
    # revenue per session at $1.00 (conversion 0.30) against $1.50 (0.25): the spread grows with the price
    sd_a, sd_b = 1.0 * np.sqrt(0.3 * 0.7), 1.5 * np.sqrt(0.25 * 0.75)
    mde = 1.5 * 0.25 - 0.30
    one_sd = stats.sample_size(sd_a, mde)
    both = stats.sample_size(sd_a, mde, sd_b=sd_b)
    assert both > 1.3 * one_sd
    assert both == pytest.approx(7.849 * (sd_a ** 2 + sd_b ** 2) / mde ** 2, rel=0.001)


def test_holm_controls_the_family_and_orders_like_bonferroni_step_down():
    h = stats.holm([0.01, 0.04, 0.03, 0.5])
    assert h["adjusted"] == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert h["reject"] == [True, False, False, False]
    with pytest.raises(StudioError):
        stats.holm([1.5])


def test_ratio_metric_interval_covers_over_creators():
    rng = np.random.default_rng(4)
    covered = 0
    for _ in range(200):
        n = rng.poisson(rng.lognormal(4, 0.8, 80)) + 1           # creators' sessions
        rate = np.clip(rng.normal(0.2, 0.05, 80), 0.01, 0.99)      # creators differ
        k = rng.binomial(n, rate)
        r = stats.ratio_compare(k[:40], n[:40], k[40:], n[40:])
        covered += r["ci"][0] <= 0 <= r["ci"][1]
    assert 0.90 <= covered / 200 <= 0.99


def test_ratio_metric_counts_heavy_creators_as_few_units():
    """HC2 divides each creator's squared residual by (1 - leverage), so the variance is at least the plain
    delta method's; with traffic that differs a lot, a few creators carry the estimate, and the t reference has
    far fewer degrees of freedom than there are creators. Equal traffic: about one per creator."""
    rng = np.random.default_rng(5)
    n = rng.poisson(rng.lognormal(4, 0.8, 400)) + 1
    k = rng.binomial(n, np.clip(rng.normal(0.2, 0.05, 400), 0.01, 0.99))
    r = stats.ratio_compare(k[:200], n[:200], k[200:], n[200:])
    ra, sa = stats.ratio(k[:200], n[:200])
    resid = k[:200] - ra * n[:200]
    assert sa > np.sqrt(np.sum(resid ** 2)) / n[:200].sum()
    assert 10 < r["df"] < 150
    assert r["ci"][1] - r["ci"][0] > 2 * 1.96 * r["se"]  # a t quantile, wider than the normal's
    flat = stats.ratio_compare(k[:200], np.full(200, 50), k[200:], np.full(200, 50))
    assert 350 < flat["df"] <= 398  # Welch-Satterthwaite of two arms of 199


def test_group_sequential_boundaries_match_lan_demets_obrien_fleming():
    b = design.boundaries(4, 0.05)["z"]
    assert b == pytest.approx([4.333, 2.963, 2.359, 2.014], abs=0.04)
    assert 1.0 < design.inflation(4) < 1.05


def test_alpha_is_spent_on_information_not_calendar_days():
    """Creators differ: a creator's own level of earnings does not average out over days, so the first of four
    weekly looks already holds most of the information. Boundaries are spent on that information (an A/A test
    on its own, which differs from the A/B test's), and the plan's inflation is for those looks."""
    pop = design.Population(pricing.bimodal())
    info = design.information_fractions(pop, 1.2, 1.5, 28, 4)
    aa = design.information_fractions(pop, 1.2, 1.2, 28, 4)
    assert 0.5 < info[0] < info[1] < info[2] < info[3] == 1.0
    assert aa[0] < info[0]  # the dearer arm's creators differ more, so its information comes earlier still
    assert design.boundaries([0.25, 0.5, 0.75, 1.0])["z"] == pytest.approx(design.boundaries(4)["z"])
    b = design.boundaries(info)["z"]
    assert b[0] < 2.3 and b[-1] < design.boundaries(4)["z"][0]  # most of alpha can be spent at the first look
    plan = design.plan(pop, 1.2, 1.5, 28, looks=4)
    assert plan["information"] == pytest.approx(info) and plan["boundaries"] == pytest.approx(b)
    assert plan["inflation"] == pytest.approx(design.inflation(info))
    assert plan["t_factor"] > 1.0 and plan["degrees_of_freedom"] < plan["creators_per_arm"]
    assert design.plan(pop, 1.2, 1.5, 28, looks=1)["inflation"] == 1.0
    with pytest.raises(StudioError, match="information fractions"):
        design.boundaries([0.5, 0.4, 1.0])
    # 40 A/A runs: the machinery runs with the arms' own fractions (the bench measures the rate on thousands)
    rates = design.error_rates(pop, 1.2, 1.2, 40, 14, runs=40, seed=3)
    assert rates["runs"] == 40 and rates["rate"] <= 0.2


def test_plan_has_a_design_effect_and_trial_reports_srm_guardrails_and_segments():
    pop = design.Population(pricing.bimodal(), traffic=20)
    plan = design.plan(pop, 1.0, 1.5, days=14)
    assert plan["design_effect"][0] > 1.5  # creators differ: a creator's sessions are not independent
    assert plan["sessions_per_arm_fixed"] > plan["sessions_per_arm_iid"] > plan["sessions_per_arm_one_sd"]
    t = design.trial(pop, 1.0, 1.5, 60, days=14, seed=1)
    assert {g["guardrail"] for g in t["guardrails"]} == {"conversion", "paying_buyers", "repeat_purchases"}
    assert [s["segment"] for s in t["segments"]] == ["hobby", "business"]
    assert all("p_holm" in s and s["p_holm"] >= s["p_value"] for s in t["segments"])
    assert t["srm_failed_on_day"] is None
    lo, hi = t["repeated_ci"]
    assert lo <= t["estimate"] <= hi
    broken = design.trial(pop, 1.0, 1.5, 60, days=14, seed=1, drop_exposures=0.7)
    assert broken["srm_failed_on_day"] is not None  # most of the treatment arm's logging lost: caught


def test_switching_buyers_bias_creator_side_tests_and_switchback_covers_the_truth():
    f = interference.designs(pricing.bimodal(), 1.0, 1.5, creators=40, periods=20, capacity=10_000,
                             loyalty=0.95, seed=0).set_index("design")
    truth = f.loc["truth (global treatment effect)", "estimate"]
    assert abs(f.loc["creator-side", "bias"]) > abs(f.loc["buyer-side", "bias"])  # buyers move to control creators
    assert f.loc["switchback (by period)", "covers_truth"]
    # (no period-to-period variation is simulated, so nothing here says how wide a real switchback would be)
    assert np.isfinite(f.loc["two-sided", "estimate"]) and truth != 0
