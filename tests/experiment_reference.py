"""One arm and one comparison with control, as the experiment marts must compute them.

Shared by the overall (tests/test_experiment_stats.py) and the slice
(tests/experiment_slice_reference.py) references. Means: numpy and scipy's Welch t-test.
Ratio metrics (a denominator per user): the ratio of the arm totals and its delta-method
variance from gbstats' RatioStatistic, the Welch test from scipy's ttest_ind_from_stats.
"""

from __future__ import annotations

import math

import numpy as np
from gbstats.models.statistics import RatioStatistic, SampleMeanStatistic
from scipy import stats


def statistic(y: np.ndarray, d: np.ndarray | None = None) -> SampleMeanStatistic | RatioStatistic:
    """The arm as gbstats takes it (sample variance, n - 1, for every metric type)."""
    mean = SampleMeanStatistic(n=len(y), sum=float(y.sum()), sum_squares=float((y * y).sum()))
    if d is None:
        return mean
    return RatioStatistic(n=len(y), m_statistic=mean,
                          d_statistic=SampleMeanStatistic(n=len(d), sum=float(d.sum()),
                                                          sum_squares=float((d * d).sum())),
                          m_d_sum_of_products=float((y * d).sum()))


def arm_row(y: np.ndarray, d: np.ndarray | None = None) -> dict:
    """users, metric_mean, metric_variance of an arm (null mean without users, null variance below 2)."""
    if len(y) == 0:
        return {"users": 0, "metric_mean": None, "metric_variance": None}
    if d is None:
        return {"users": len(y), "metric_mean": y.mean(),
                "metric_variance": y.var(ddof=1) if len(y) > 1 else None}
    ratio = statistic(y, d)
    return {"users": len(y), "metric_mean": ratio.mean,
            "metric_variance": ratio.variance if len(y) > 1 else None}


def comparison(t: tuple, c: tuple, z: float) -> dict:
    """Lifts, Welch df and p-value and the delta-method interval of the relative lift.

    t and c are (values, denominators or None) of the treatment and the control arm.
    """
    if t[1] is None:
        welch = stats.ttest_ind(t[0], c[0], equal_var=False)
        mean_t, var_t, mean_c, var_c = t[0].mean(), t[0].var(ddof=1), c[0].mean(), c[0].var(ddof=1)
        df = welch.df
    else:
        arm_t, arm_c = arm_row(*t), arm_row(*c)
        mean_t, var_t = arm_t["metric_mean"], arm_t["metric_variance"]
        mean_c, var_c = arm_c["metric_mean"], arm_c["metric_variance"]
        welch = stats.ttest_ind_from_stats(mean_t, math.sqrt(var_t), len(t[0]),
                                           mean_c, math.sqrt(var_c), len(c[0]), equal_var=False)
        vt, vc = var_t / len(t[0]), var_c / len(c[0])
        df = (vt + vc) ** 2 / (vt**2 / (len(t[0]) - 1) + vc**2 / (len(c[0]) - 1))
    n_t, n_c = len(t[0]), len(c[0])
    se_rel = math.sqrt(var_t / (n_t * mean_c**2) + mean_t**2 * var_c / (n_c * mean_c**4))
    rel = mean_t / mean_c - 1
    return {"abs_lift": mean_t - mean_c, "rel_lift": rel, "welch_df": df, "p_value": welch.pvalue,
            "rel_lift_ci_low": rel - z * se_rel, "rel_lift_ci_high": rel + z * se_rel}


def cuped_comparison(cuped_t: np.ndarray, cuped_c: np.ndarray) -> dict:
    """cuped_rel_lift and cuped_p_value (Welch on the CUPED-adjusted values)."""
    return {"cuped_rel_lift": cuped_t.mean() / cuped_c.mean() - 1,
            "cuped_p_value": stats.ttest_ind(cuped_t, cuped_c, equal_var=False).pvalue}


def order_statistic(sorted_values: np.ndarray, rank: float) -> float | None:
    """x_(rank), 1-based; None outside 1..n."""
    rank = int(rank)
    return float(sorted_values[rank - 1]) if 1 <= rank <= len(sorted_values) else None


def quantile_interval(values: np.ndarray, q: float, confidence: float) -> tuple:
    """(x_(ceil(nq)), x_(l), x_(u)) with l, u = floor / ceil(nq -/+ z sqrt(nq(1 - q))), as
    rpt_experiment_quantile_results computes them."""
    x = np.sort(values)
    n = len(x)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    spread = z * math.sqrt(n * q * (1 - q))
    return (order_statistic(x, math.ceil(n * q)), order_statistic(x, math.floor(n * q - spread)),
            order_statistic(x, math.ceil(n * q + spread)))


def quantile_lift(t: np.ndarray, c: np.ndarray, q: float, confidence: float) -> dict:
    """rel_lift of the quantile and its outer interval (each arm at 1 - alpha/2)."""
    arm_confidence = 1 - (1 - confidence) / 2
    _, low_t, high_t = quantile_interval(t, q, arm_confidence)
    _, low_c, high_c = quantile_interval(c, q, arm_confidence)
    q_t, q_c = quantile_interval(t, q, confidence)[0], quantile_interval(c, q, confidence)[0]
    return {"rel_lift": None if not q_c else q_t / q_c - 1,
            "rel_lift_ci_low": low_t / high_c - 1 if low_t is not None and high_c and high_c > 0 else None,
            "rel_lift_ci_high": high_t / low_c - 1 if high_t is not None and low_c and low_c > 0 else None}


def guardrail_status(rel_lift: float | None, low: float | None, high: float | None,
                     direction: str, margin: float) -> str | None:
    """The guardrail rule of docs/experiments.md on a lift and its interval: the deterioration
    d (-lift for an increase metric, lift for a decrease one), its best and worst bound."""
    d, best, worst = ((rel_lift, low, high) if direction == "decrease" else
                      (None if rel_lift is None else -rel_lift, None if high is None else -high,
                       None if low is None else -low))
    if d is None or worst is None:
        return None
    if worst <= margin:
        return "ok"
    return "breached" if best is not None and best > 0 and d > margin else "inconclusive"
