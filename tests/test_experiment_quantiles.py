"""The quantile read-out's intervals (rpt_experiment_quantile_results) cover as they claim.

The SQL is compared with the same formulas in Python on the warehouse in
tests/test_experiment_stats.py; here the formulas themselves are checked: the estimate
against numpy's inverted-CDF quantile, the order-statistic interval's exact coverage from
scipy's binomial distribution, and the coverage of the per-arm and the lift intervals by
simulation (fixed seed). The guardrail status of guardrail quantiles is checked on the
synthetic warehouse of tests/test_experiment_stats.py (DuckDB and PostgreSQL) against the
guardrail rule in Python on the reference interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.experiment_reference import guardrail_status, quantile_interval, quantile_lift
from tests.helpers import fetch_dicts
from tests.test_experiment_stats import (
    EXPERIMENTS_CSV,
    METRICS_CSV,
    QUANTILES_CSV,
    reference_user_values,
    seed_rows,
)
from tests.test_experiment_stats import built as built_warehouse
from tests.test_experiment_stats import synthetic as synthetic_warehouse

# the synthetic warehouse of tests/test_experiment_stats.py (DuckDB and PostgreSQL), built again here
built, synthetic = built_warehouse, synthetic_warehouse

CONFIDENCE = 0.95


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_estimate_is_numpys_inverted_cdf_quantile(q):
    rng = np.random.default_rng(3)
    for n in (1, 7, 100, 1001):
        values = rng.lognormal(5.0, 1.0, n)
        assert quantile_interval(values, q, CONFIDENCE)[0] == np.quantile(values, q, method="inverted_cdf")


@pytest.mark.parametrize("q", [0.5, 0.9])
@pytest.mark.parametrize("n", [100, 400, 2000, 20000])
def test_exact_coverage_of_the_order_statistic_interval(n, q):
    """[x_(l), x_(u)] covers the true quantile exactly when l <= B < u, B ~ binomial(n, q)
    (any continuous distribution). Tolerance: 0.01 below the level (normal-approximated ranks)."""
    z = stats.norm.ppf(1 - (1 - CONFIDENCE) / 2)
    spread = z * math.sqrt(n * q * (1 - q))
    low, high = math.floor(n * q - spread), math.ceil(n * q + spread)
    coverage = stats.binom.cdf(high - 1, n, q) - stats.binom.cdf(low - 1, n, q)
    assert CONFIDENCE - 0.01 <= coverage < 0.97, coverage


def test_simulated_coverage_of_arm_and_lift_intervals():
    """2,000 simulated experiments, lognormal durations, 400 users per arm, p90: the arm
    interval covers the true p90 95% +- 1.5% (3 binomial standard errors), the outer lift
    interval covers the true lift (0, and +20% from a scaled treatment) at least 95% - 1.5%."""
    rng = np.random.default_rng(20261203)
    q, n, runs = 0.9, 400, 2000
    true_p90 = math.exp(5.0 + 1.0 * stats.norm.ppf(q))
    arm_hits, lift_hits = 0, {0.0: 0, 0.2: 0}
    for _ in range(runs):
        control = rng.lognormal(5.0, 1.0, n)
        _, low, high = quantile_interval(control, q, CONFIDENCE)
        arm_hits += low <= true_p90 <= high
        for lift in lift_hits:
            treated = rng.lognormal(5.0, 1.0, n) * (1 + lift)
            got = quantile_lift(treated, control, q, CONFIDENCE)
            lift_hits[lift] += got["rel_lift_ci_low"] <= lift <= got["rel_lift_ci_high"]
    assert abs(arm_hits / runs - CONFIDENCE) <= 0.015, arm_hits / runs
    for lift, hits in lift_hits.items():
        assert hits / runs >= CONFIDENCE - 0.015, (lift, hits / runs)
    print(f"\narm coverage {arm_hits / runs:.3f}; lift coverage "
          + ", ".join(f"{lift:+.0%}: {hits / runs:.3f}" for lift, hits in lift_hits.items()))


@pytest.mark.slow
def test_guardrail_quantiles_follow_the_guardrail_rule_on_the_reference_interval(built):
    """guardrail_status / guardrail_breached of every quantile row against guardrail_status()
    on the numpy/scipy lift interval; the fixture plants a breach (late_orders p90, decrease,
    margin 2%, big_win's 1.5x orders) and non-breached guardrail quantiles."""
    target, events = built
    values = reference_user_values(events)
    metrics = {m["metric_key"]: m for m in seed_rows(METRICS_CSV)}
    controls = {r["experiment_key"]: r["variant"] for r in seed_rows(EXPERIMENTS_CSV)
                if r["is_control"] == "true"}
    actual = {(r["experiment_key"], r["metric_key"], float(r["quantile_level"]), r["variant"]): r
              for r in fetch_dicts(target, "select * from marts.rpt_experiment_quantile_results")}
    expected = {}
    for setting in seed_rows(QUANTILES_CSV):
        exp, metric, q = setting["experiment_key"], setting["metric_key"], float(setting["quantile_level"])
        direction = metrics[metric]["direction"] or "increase"
        margin = float(metrics[metric]["non_inferiority_margin"] or 0.0)
        arms = values[(exp, metric)]
        for variant, arm in arms.items():
            status = None
            if setting["is_guardrail"] == "true" and variant != controls[exp]:
                lift = quantile_lift(arm[0], arms[controls[exp]][0], q, CONFIDENCE)
                status = guardrail_status(lift["rel_lift"], lift["rel_lift_ci_low"],
                                          lift["rel_lift_ci_high"], direction, margin)
            expected[(exp, metric, q, variant)] = status
    assert set(actual) == set(expected)
    for key, status in expected.items():
        assert actual[key]["guardrail_status"] == status, (key, actual[key])
        assert actual[key]["guardrail_breached"] == (status == "breached"), key
    guarded = {key[1:]: status for key, status in expected.items() if status is not None}
    assert guarded[("late_orders", 0.9, "big_win")] == "breached"
    assert set(guarded.values()) - {"breached"}, guarded  # a non-breached guardrail quantile too
    print(f"\n{target.name}: quantile guardrails {sorted(guarded.items())}")
