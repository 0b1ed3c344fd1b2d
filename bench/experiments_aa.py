"""A/A experiments read every day: how often is "no effect" declared significant?

    python bench/experiments_aa.py [--experiments 2000] [--days 28] [--users-per-day 200] [--seed 7]

Simulates A/A experiments (both arms draw from the same distribution, so every
"significant" read-out is a false positive). Each day new users arrive, split 50/50 at
random, and the experiment is read on everything seen so far, as a team looking at
rpt_experiment_results every morning would. An experiment counts as "ever significant" when
its interval excludes 0 on at least one of the days. Two metrics: a binary one (conversion
rate 10%) and a skewed count (negative binomial, mean 2, sd 3).

The read-outs use the formulas of int_experiment_comparisons / rpt_experiment_results
(`read_outs` below, checked against the SQL on the test fixtures in
tests/test_experiment_stats.py): relative lift with the delta-method standard error, the
fixed-horizon interval rel_lift -/+ z se and the sequential confidence sequence of
Waudby-Smith et al. (tuning 5000, as the dbt var experiment_sequential_tuning). Vectorised
numpy over all experiments; no warehouse needed. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import time
from statistics import NormalDist

import numpy as np


def read_outs(n_t, sum_t, sumsq_t, n_c, sum_c, sumsq_c, confidence: float = 0.95,
              tuning: float = 5000.0) -> dict[str, np.ndarray]:
    """rel_lift, its delta-method se and the two interval half-widths, as the SQL computes them.

    Arms are given by users, sum and sum of squares of the user-level metric (arrays).
    """
    n_t, n_c = np.asarray(n_t, float), np.asarray(n_c, float)
    mean_t, mean_c = np.asarray(sum_t) / n_t, np.asarray(sum_c) / n_c
    var_t = (np.asarray(sumsq_t) - np.asarray(sum_t) ** 2 / n_t) / (n_t - 1)  # var_samp
    var_c = (np.asarray(sumsq_c) - np.asarray(sum_c) ** 2 / n_c) / (n_c - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = mean_t / mean_c - 1.0
        se = np.sqrt(var_t / n_t / mean_c**2 + mean_t**2 * var_c / n_c / mean_c**4)
    alpha = 1.0 - confidence
    n_rho2 = (n_t + n_c) * (-2.0 * math.log(alpha) + math.log(1.0 - 2.0 * math.log(alpha))) / tuning
    sequential = se * np.sqrt(2.0 * (n_rho2 + 1.0) * np.log(np.sqrt(n_rho2 + 1.0) / alpha) / n_rho2)
    fixed = NormalDist().inv_cdf(1.0 - alpha / 2.0) * se
    return {"rel_lift": rel, "rel_lift_se": se, "fixed_half_width": fixed,
            "sequential_half_width": sequential}


def simulate(metric: str, experiments: int, days: int, users_per_day: int,
             rng: np.random.Generator) -> dict[str, float]:
    """Share of A/A experiments declared significant, per way of reading them."""
    shape = (experiments, days, 2)
    n = np.zeros(shape)
    n[..., 0] = rng.binomial(users_per_day, 0.5, size=shape[:2])
    n[..., 1] = users_per_day - n[..., 0]
    if metric == "binary":
        sums = rng.binomial(n.astype(int), 0.10).astype(float)
        sumsq = sums
    else:  # negative binomial per user, mean 2, variance 9: r = 4 / 7, p = r / (r + 2)
        r = 4.0 / 7.0
        per_user = rng.negative_binomial(r, r / (r + 2.0), size=(experiments, days, users_per_day))
        is_t = np.arange(users_per_day)[None, None, :] < n[..., :1]  # first n_t users are treated
        sums = np.stack([(per_user * is_t).sum(-1), (per_user * ~is_t).sum(-1)], -1).astype(float)
        sq = per_user.astype(float) ** 2
        sumsq = np.stack([(sq * is_t).sum(-1), (sq * ~is_t).sum(-1)], -1)
    n, sums, sumsq = (np.cumsum(a, axis=1) for a in (n, sums, sumsq))  # read on all users so far
    r = read_outs(n[..., 1], sums[..., 1], sumsq[..., 1], n[..., 0], sums[..., 0], sumsq[..., 0])
    with np.errstate(invalid="ignore"):
        fixed = np.abs(r["rel_lift"]) > r["fixed_half_width"]
        sequential = np.abs(r["rel_lift"]) > r["sequential_half_width"]
    return {"fixed_last_day": fixed[:, -1].mean(), "fixed_daily": fixed.any(axis=1).mean(),
            "sequential_last_day": sequential[:, -1].mean(),
            "sequential_daily": sequential.any(axis=1).mean(),
            "width_ratio_last_day": float(np.median(r["sequential_half_width"][:, -1]
                                                    / r["fixed_half_width"][:, -1]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--users-per-day", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{args.experiments} A/A experiments x {args.days} daily reads, {args.users_per_day} "
          f"new users a day (50/50), 95% intervals, sequential tuning 5000")
    for metric in ("binary", "count"):
        started = time.perf_counter()
        share = simulate(metric, args.experiments, args.days, args.users_per_day, rng)
        se = math.sqrt(0.05 * 0.95 / args.experiments)
        print(f"{metric:>6}: ever significant read daily: fixed-horizon {share['fixed_daily']:.1%}, "
              f"sequential {share['sequential_daily']:.1%}; last day only: fixed "
              f"{share['fixed_last_day']:.1%}, sequential {share['sequential_last_day']:.1%} "
              f"(binomial se at 5%: {se:.1%}); sequential / fixed half-width on the last day "
              f"{share['width_ratio_last_day']:.2f} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
