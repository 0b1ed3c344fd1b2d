"""The demo's simulated experiments show their built-in effects, and the report command works.

The simulator (simulator/config.py) gives onboarding_checklist's checklist arm 1.3x the
activation rate and pricing_page_v2's bigger_cta arm 1.8x the upgrade-click rate, while
annual_toggle has no effect. On the demo's own data (28 days, 2000 users, seed 42; the real
seeds/experiments*.csv) the large effects must be significant and the zero effect must not.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ingest.run import IngestOptions
from pipeline.cli import main
from simulator import EXPERIMENTS, generate
from tests.helpers import fetch_dicts
from tests.pipeline_runs import run_graph
from tests.test_experiment_stats import build_experiment_models
from warehouse import Target

pytestmark = pytest.mark.slow

START = date(2026, 10, 1)
DAYS = 28


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Target:
    base = tmp_path_factory.mktemp("experiment-demo")
    generate(base / "raw", START, DAYS, users=2000, seed=42, progress=False)
    target = Target("duckdb", duckdb_path=str(base / "warehouse.duckdb"))
    run_graph(base / "raw", base / "lake", START, START + timedelta(days=DAYS - 1), target,
              work=base, options=IngestOptions(runner="inline"), skip_dbt=True)
    build_experiment_models(target)
    return target


def results(target: Target) -> dict[tuple[str, str, str], dict]:
    return {(r["experiment_key"], r["metric_key"], r["variant"]): r
            for r in fetch_dicts(target, "select * from marts.rpt_experiment_results")}


def test_seeds_describe_the_simulated_experiments(demo_warehouse):
    rows = fetch_dicts(demo_warehouse, "select experiment_key, variant, weight, start_date "
                                       "from seeds.experiments")
    configured = {(r["experiment_key"], r["variant"]): r for r in rows}
    for key, exp in EXPERIMENTS.items():
        for variant, weight in exp["variants"].items():
            assert configured[(key, variant)]["weight"] == pytest.approx(weight)
            assert configured[(key, variant)]["start_date"] == START + timedelta(days=exp["start_day"])
    assert len(configured) == sum(len(e["variants"]) for e in EXPERIMENTS.values())


def test_large_effects_are_significant_and_zero_effect_is_not(demo_warehouse):
    rows = results(demo_warehouse)
    checklist = rows[("onboarding_checklist", "activated_7d", "checklist")]
    assert checklist["rel_lift"] > 0.1 and checklist["p_value_adjusted"] < 0.001
    bigger_cta = rows[("pricing_page_v2", "upgrade_clicked", "bigger_cta")]
    assert bigger_cta["rel_lift"] > 0.3 and bigger_cta["p_value"] < 0.05
    annual_toggle = rows[("pricing_page_v2", "upgrade_clicked", "annual_toggle")]
    assert annual_toggle["p_value"] > 0.05
    assert annual_toggle["rel_lift_ci_low"] < 0 < annual_toggle["rel_lift_ci_high"]
    # the simulator's double-exposure logging bug is found, but stays below the 1% threshold
    onboarding = rows[("onboarding_checklist", "activated_7d", "control")]
    assert onboarding["multi_variant_users"] > 0 and onboarding["multi_variant_share"] < 0.01
    assert all(r["is_trustworthy"] for r in rows.values())


def test_daily_read_out_ends_on_the_results(demo_warehouse):
    """On the demo's data too, the last day of rpt_experiment_daily_results is the result."""
    last = {}
    for r in fetch_dicts(demo_warehouse, "select * from marts.rpt_experiment_daily_results"):
        key = (r["experiment_key"], r["metric_key"], r["variant"])
        if key not in last or r["as_of_date"] > last[key]["as_of_date"]:
            last[key] = r
    overall = results(demo_warehouse)
    assert set(last) == set(overall)
    for key, row in overall.items():
        assert last[key]["users"] == row["users"], key
        for col in ("metric_mean", "rel_lift", "sequential_ci_low", "sequential_ci_high"):
            want = row[col]
            assert (last[key][col] is None) if want is None else \
                last[key][col] == pytest.approx(want, rel=1e-9, abs=1e-12), (key, col)


def test_report_prints_table_and_writes_png(demo_warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULSE_DUCKDB_PATH", demo_warehouse.duckdb_path)
    out = tmp_path / "plots" / "pricing.png"
    assert main(["experiment", "report", "pricing_page_v2", "--target", "duckdb",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "experiment pricing_page_v2: SRM p = " in printed and "trustworthy" in printed
    for variant in EXPERIMENTS["pricing_page_v2"]["variants"]:
        assert f"upgrade_clicked      primary   {variant}" in printed
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
    lines = printed.splitlines()
    for dimension in ("country", "platform"):  # seeds/experiment_slices.csv
        assert any(x.startswith(f"slices by {dimension} (primary metrics;") for x in lines)
    assert [x.split()[2] for x in lines if x.split()[:2] == ["new_mrr_cents", "p90"]] \
        == ["control", "annual_toggle", "bigger_cta"]
    assert main(["experiment", "report", "no_such_experiment", "--target", "duckdb",
                 "--out", str(tmp_path / "x.png")]) == 1
    assert not (tmp_path / "x.png").exists()
