"""Expected rpt_experiment_slice_results rows, re-derived with numpy/scipy (and gbstats).

Shared by tests/test_experiment_stats.py (which owns the synthetic data and the per-user
reference values): slices from the raw lines, then per slice the same statistics as the
overall reference (Welch, delta-method CI, CUPED with the slice's theta, chi-square SRM;
the Bayesian, sequential and guardrail columns from the caller's `read_out`, the gbstats
oracle of the overall rows) and Benjamini-Hochberg over the family the seed's correction
names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime

import numpy as np
from scipy import stats

from tests.experiment_reference import arm_row, comparison, cuped_comparison

MISSING, OTHER = "(missing)", "(other)"


def user_slices(values: dict, experiment: str, start: datetime, dimension: str,
                top_n: int) -> dict[str, str]:
    """Analysed user -> slice: the top_n most common values (ties by value), else (other)."""
    exposed = values[(experiment, "_exposure")]
    analysed = [u for u, (_, seen) in exposed.items() if len(seen) == 1]

    def value(user: str) -> str | None:
        if dimension == "platform":
            return values[(experiment, "_first_platform")][user]
        if dimension == "user_type":
            return "new" if values[("_users", "first_seen")][user] >= start else "returning"
        return values[("_users", dimension)].get(user)

    of = {u: value(u) or MISSING for u in analysed}
    ranked = sorted(Counter(of.values()).items(), key=lambda kv: (-kv[1], kv[0]))
    top = {v for v, _ in ranked[:top_n]}
    return {u: v if v in top else OTHER for u, v in of.items()}


ReadOut = Callable[[str, str, tuple, tuple, dict], dict]


def slice_results(values: dict, variants_of: dict[str, dict[str, dict]],
                  roles: dict[tuple[str, str], str], slice_rows: list[dict],
                  confidence: float, read_out: ReadOut, srm_alpha: float = 0.001) -> dict[tuple, dict]:
    """(experiment, dimension, slice, metric, variant) -> expected row.

    read_out(experiment, metric, (values, denominators) of the arm, the same of control, row)
    gives the row's Bayesian, sequential and guardrail columns.
    """
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    rows: dict[tuple, dict] = {}
    families: dict[tuple, list[tuple[tuple, float]]] = defaultdict(list)
    for setting in slice_rows:
        exp, dim = setting["experiment_key"], setting["dimension"]
        variants = variants_of[exp]
        start = datetime.fromisoformat(next(iter(variants.values()))["start_date"])
        slice_of = user_slices(values, exp, start, dim, int(setting["top_n"]))
        variant_of = {u: next(iter(seen)) for u, (_, seen) in values[(exp, "_exposure")].items()
                      if len(seen) == 1}
        control = next(v for v, r in variants.items() if r["is_control"] == "true")
        weights = np.array([float(r["weight"]) for r in variants.values()])
        for sl in sorted(set(slice_of.values())):
            observed = [sum(1 for u, s in slice_of.items() if s == sl and variant_of[u] == v)
                        for v in variants]
            srm_p = stats.chisquare(observed, weights / weights.sum() * sum(observed)).pvalue
            health = {"slice_users": sum(observed), "srm_p_value": srm_p, "has_srm": srm_p < srm_alpha,
                      "correction": setting["correction"]}
            for (e, metric), role in roles.items():
                if e != exp:
                    continue
                arms = {}
                for v in variants:
                    y, x, users, d = values[(exp, metric)][v]
                    keep = np.array([slice_of[u] == sl for u in users], dtype=bool)
                    arms[v] = (y[keep], x[keep], None if d is None else d[keep])
                x_all = np.concatenate([arms[v][1] for v in variants])
                y_all = np.concatenate([arms[v][0] for v in variants])
                theta = (np.cov(x_all, y_all, ddof=1)[0, 1] / np.var(x_all, ddof=1)
                         if len(x_all) > 1 and np.var(x_all) > 0 else 0.0)
                cuped = {v: arms[v][0] - theta * (arms[v][1] - x_all.mean()) for v in variants}
                for v in variants:
                    y, _, d = arms[v]
                    key = (exp, dim, sl, metric, v)
                    row = {**arm_row(y, d), **health, "is_control": v == control, "metric_role": role}
                    if v != control:
                        row.update(comparison((y, d), (arms[control][0], arms[control][2]), z))
                        if d is None:  # no CUPED for ratio metrics
                            row.update(cuped_comparison(cuped[v], cuped[control]))
                    row.update(read_out(exp, metric, (y, d), (arms[control][0], arms[control][2]), row))
                    if v != control and role != "guardrail":
                        family = {"metrics": (exp, dim, sl), "slices": (exp, dim, metric),
                                  "metrics_and_slices": (exp, dim)}[setting["correction"]]
                        families[family].append((key, row["p_value"]))
                    rows[key] = row
    for tests in families.values():
        adjusted = stats.false_discovery_control([p for _, p in tests], method="bh")
        for (key, _), p in zip(tests, adjusted, strict=True):
            rows[key]["p_value_adjusted"] = p
    return rows
