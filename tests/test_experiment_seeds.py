"""Broken experiment seeds stop `dbt build` and the seed tests say what is wrong, row by row."""

from __future__ import annotations

import json

import pytest

from tests.test_experiment_stats import project_copy
from warehouse import Target
from warehouse.dbt import DbtError, run_dbt

pytestmark = pytest.mark.slow

BAD_EXPERIMENTS = """\
experiment_key,variant,is_control,weight,start_date,end_date,description
exp_a,control,true,5,2026-03-05,,two controls
exp_a,other,true,0,2026-03-05,,zero weight
exp_a,third,false,2,2026-03-06,,different start
exp_b,control,true,0.5,2026-03-03,2026-03-01,ends before it starts
exp_b,Treatment,false,0.5,2026-03-03,2026-03-01,upper case variant
"""
BAD_METRICS = """\
metric_key,event,metric_type,property,filter_property,filter_value,window_start_hours,window_end_hours,description,direction,non_inferiority_margin,denominator_metric
filter_without_value,conversion,binary,,goal,,0,,x,,,
empty_window,order_placed,count,,,,0,0,x,sideways,-0.1,
sum_without_property,order_placed,sum,,,,-5,72,x,,,
count_with_property,error_shown,count,amount,,,0,,x,,,
bad_property,order_placed,sum,amount.total,,,0,,x,,,
ratio_of_nothing,order_placed,ratio,,,,0,,x,,,no_such_metric
count_with_denominator,order_placed,count,,,,0,,x,,,empty_window
"""
BAD_ASSIGNMENTS = """\
experiment_key,metric_key,role
exp_a,empty_window,primary
exp_b,no_such_metric,tertiary
"""
BAD_SLICES = """\
experiment_key,dimension,top_n,correction
exp_a,platform,0,metrics
exp_a,favourite_colour,3,slices
exp_b,country,5,metrics
"""
BAD_QUANTILES = """\
experiment_key,metric_key,quantile_level,is_guardrail
exp_a,empty_window,1.5,false
exp_b,empty_window,0.9,true
exp_a,empty_window,0.5,
"""


def problems(test: str, target: Target) -> list[dict]:
    proc = run_dbt(["--quiet", "show", "--select", test, "--limit", "-1", "--output", "json"],
                   target=target, capture=True)
    return json.loads(proc.stdout)["show"]


def test_broken_seeds_fail_loudly_with_a_reason_per_row(tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    project = project_copy(tmp_path / "project", BAD_EXPERIMENTS, BAD_METRICS, BAD_ASSIGNMENTS,
                           slices=BAD_SLICES, quantiles=BAD_QUANTILES)
    monkeypatch.setenv("PULSE_PROJECT_DIR", str(project))
    target = Target("duckdb", duckdb_path=str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(DbtError) as failed:
        run_dbt(["build", "--select", "experiments", "experiment_metrics",
                 "experiment_metric_assignments", "experiment_slices", "experiment_quantiles"],
                target=target, capture=True)
    assert failed.value.returncode == 1

    experiment_problems = {(p["experiment_key"], p["variant"], p["problem"])
                           for p in problems("assert_experiments_seed_valid", target)}
    assert experiment_problems == {
        ("exp_a", None, "needs exactly one control variant (is_control = true), has 2"),
        ("exp_a", "other", "weight must be positive"),
        ("exp_a", None, "start_date and end_date must be the same on every variant row"),
        ("exp_b", "control", "end_date must not be before start_date"),
        ("exp_b", "Treatment", "end_date must not be before start_date"),
        ("exp_b", "Treatment", "variant must be 1-64 characters of [a-z0-9_]"),
    }
    metric_problems = {(p["metric_key"], p["problem"].split(" ")[0])
                       for p in problems("assert_experiment_metrics_seed_valid", target)}
    assert metric_problems == {
        ("filter_without_value", "filter_property"),
        ("empty_window", "window_end_hours"),
        ("sum_without_property", "a"),
        ("sum_without_property", "window_start_hours"),
        ("count_with_property", "property"),
        ("bad_property", "property"),
        ("empty_window", "non_inferiority_margin"),
        ("ratio_of_nothing", "a"),
        ("count_with_denominator", "denominator_metric"),
    }
    slice_problems = {(p["experiment_key"], p["dimension"], p["problem"].split(" ")[0])
                      for p in problems("assert_experiment_slices_seed_valid", target)}
    assert slice_problems == {("exp_a", "platform", "top_n"),
                              ("exp_a", "favourite_colour", "dimension")}
    quantile_problems = {(p["experiment_key"], p["problem"].split(" ")[0])
                         for p in problems("assert_experiment_quantiles_seed_valid", target)}
    assert quantile_problems == {("exp_a", "quantile_level"), ("exp_b", "the"), ("exp_a", "is_guardrail")}
