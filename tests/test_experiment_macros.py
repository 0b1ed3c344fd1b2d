"""The portable distribution macros (macros/stats/) against scipy, on DuckDB and PostgreSQL.

One `dbt show --inline` per warehouse evaluates every macro on a grid that includes the
branch boundaries and the tails; the tolerances are the accuracy docs/experiments.md claims.
"""

from __future__ import annotations

import json

import pytest
from scipy import stats

from warehouse import Target
from warehouse.dbt import run_dbt

pytestmark = pytest.mark.slow

NORMAL_X = [-40.0, -37.5, -36.9, -20.0, -8.0, -7.08, -7.06, -5.0, -1.96, -1.0, -1e-9, 0.0, 0.5,
            1.0, 1.96, 3.0, 7.2, 12.0, 38.0]
NORMAL_P = [1e-12, 1e-6, 0.001, 0.02, 0.02425, 0.025, 0.3, 0.5, 0.8, 0.975, 0.97575, 0.98,
            0.999999]
# (|t|, df, documented max abs error of the two-sided p-value)
T_CASES = [(t, df, tol) for df, tol in [(2.5, 1e-4), (3, 3e-5), (5, 5e-7), (10, 1e-9),
                                        (30, 1e-11), (199.5, 1e-11), (5000, 1e-9)]
           for t in (0.0, 0.1, 1.0, 1.96, 2.5, 4.0, 8.0)]
CHI_CASES = [(x, df) for df in (1, 2, 3, 4, 5, 10, 19, 20, 39)
             for x in (0.0, 0.01, 0.5, 3.0, 10.0, 50.0, 200.0, 1500.0)]


def _values(rows: list[tuple]) -> str:
    return ", ".join("(" + ", ".join(repr(float(v)) if isinstance(v, float) else str(v)
                                     for v in row) + ")" for row in rows)


def evaluate(target: Target) -> dict[str, dict[int, float | None]]:
    """Every grid point through the macros in the warehouse: kind -> id -> value."""
    sql = f"""
        select 'cdf' as kind, id, {{{{ normal_cdf('a') }}}} as v
        from (values {_values([(i, x) for i, x in enumerate(NORMAL_X)])}) as g (id, a)
        union all
        select 'inv' as kind, id, {{{{ normal_inv('a') }}}} as v
        from (values {_values([(i, p) for i, p in enumerate(NORMAL_P)])}) as g (id, a)
        union all
        select 't' as kind, id, 2.0 * {{{{ normal_cdf('-z') }}}} as v from (
            select id, {{{{ student_t_z('a', 'b') }}}} as z
            from (values {_values([(i, float(t), float(df)) for i, (t, df, _) in enumerate(T_CASES)])})
                as g (id, a, b)
        ) as zs
        union all
        select 'chi' as kind, id, {{{{ chi_square_sf('a', 'b') }}}} as v
        from (values {_values([(i, float(x), df) for i, (x, df) in enumerate(CHI_CASES)])}) as g (id, a, b)
    """
    proc = run_dbt(["--quiet", "show", "--inline", sql, "--limit", "-1", "--output", "json"],
                   target=target, capture=True)
    out: dict[str, dict[int, float | None]] = {"cdf": {}, "inv": {}, "t": {}, "chi": {}}
    for row in json.loads(proc.stdout)["show"]:
        out[row["kind"]][int(row["id"])] = None if row["v"] is None else float(row["v"])
    return out


def test_distribution_macros_match_scipy(any_target):
    got = evaluate(any_target)
    for i, x in enumerate(NORMAL_X):
        want = stats.norm.cdf(x)
        # absolute 1e-14, and the lower tail keeps its relative precision
        assert got["cdf"][i] == pytest.approx(want, abs=1e-14, rel=1e-12), ("normal_cdf", x)
    for i, p in enumerate(NORMAL_P):
        assert got["inv"][i] == pytest.approx(stats.norm.ppf(p), rel=1.2e-9), ("normal_inv", p)
    for i, (t, df, tol) in enumerate(T_CASES):
        assert got["t"][i] == pytest.approx(2 * stats.t.sf(t, df), abs=tol), ("t p-value", t, df)
    for i, (x, df) in enumerate(CHI_CASES):
        want = stats.chi2.sf(x, df)
        assert got["chi"][i] == pytest.approx(want, abs=1e-14, rel=1e-11), ("chi_square_sf", x, df)
