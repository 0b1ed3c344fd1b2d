"""The report's slice and quantile tables on hand-made mart rows: the cases the synthetic
experiments do not have (a slice with SRM, a long slice value, no primary metric, marts not
built), with the columns under their headers."""

from __future__ import annotations

from pipeline.commands.experiment import format_report, guardrail_lines
from pipeline.commands.experiment_plot import daily_series, y_limits
from pipeline.commands.experiment_sections import Sections, quantile_lines, slice_lines


def slice_row(value: str, variant: str, role: str = "primary", **overrides) -> dict:
    row = {"dimension": "utm_campaign", "slice_value": value, "metric_key": "upgrade_clicked",
           "metric_role": role, "variant": variant, "is_control": variant == "control",
           "users": 120, "rel_lift": None if variant == "control" else 0.125,
           "rel_lift_ci_low": None if variant == "control" else -0.05,
           "rel_lift_ci_high": None if variant == "control" else 0.3,
           "p_value_adjusted": None if variant == "control" else 0.04321, "correction": "slices",
           "slice_users": 240, "has_srm": False}
    return {**row, **overrides}


def test_slice_table_flags_srm_cuts_long_values_and_keeps_columns_aligned():
    long_value = "spring_sale_retargeting_lookalike_2026"
    rows = [slice_row("(other)", "control", slice_users=900),
            slice_row("(other)", "bigger_cta", slice_users=900),
            slice_row(long_value, "control"), slice_row(long_value, "bigger_cta", has_srm=True),
            slice_row("newsletter", "control", slice_users=300),
            slice_row("newsletter", "bigger_cta", users=80, slice_users=300, rel_lift=-1.5,
                      rel_lift_ci_low=-12.345, rel_lift_ci_high=9.876)]
    lines = slice_lines(rows)
    header = next(x for x in lines if x.lstrip().startswith("slice "))
    body = lines[lines.index(header) + 1:]
    # by size, pooled last
    assert [x.split()[0] for x in body] == ["newsletter", long_value[:23] + "~", "(other)"]
    end = header.index("p adj") + len("p adj")
    for line in body:
        assert line[end - 8:end].strip() == "0.0432"
        assert line[header.index("users t/c"):].split()[0].endswith("/120")
    assert body[1].endswith("  SRM") and not body[0].endswith("SRM")
    assert "[-1234.5%, +987.6%]" in body[0]  # a wide interval widens the column, not the row
    assert "Benjamini-Hochberg over slices x variants per metric" in lines[3]


def test_slices_fall_back_to_secondary_metrics_and_missing_marts_leave_sections_out():
    rows = [slice_row("web", "control", role="secondary"), slice_row("web", "b", role="secondary"),
            slice_row("web", "b", role="guardrail", metric_key="errors")]
    lines = slice_lines(rows)
    assert any("(secondary metrics;" in x for x in lines)
    assert not any(" errors " in x for x in lines)  # guardrails have no adjusted p in slices
    results = [{"metric_key": "m", "metric_role": "primary", "variant": "control", "is_control": True,
                "users": 10, "metric_mean": 1.0, "rel_lift": None, "rel_lift_ci_low": None,
                "rel_lift_ci_high": None, "p_value": None, "p_value_adjusted": None,
                "cuped_rel_lift": None, "cuped_p_value": None, "srm_p_value": 0.5,
                "multi_variant_users": 0, "has_srm": False, "is_trustworthy": True,
                "interval_method": "fixed_horizon", "sequential_ci_low": None,
                "sequential_ci_high": None, "sequential_p_value": None, "prior_lift_mean": None,
                "prior_lift_sd": None, "chance_to_win": None, "risk_control": None,
                "risk_treatment": None, "metric_direction": "increase",
                "non_inferiority_margin": 0.0, "guardrail_status": None, "guardrail_breached": False}]
    report = format_report("e", results, Sections(slices=None, quantiles=None, daily=None))
    assert "slices" not in report and "quantiles" not in report
    assert daily_series(results, None) == {}


def test_quantile_lines_put_control_first_and_align_values():
    base = {"metric_key": "new_mrr_cents", "quantile_level": 0.9, "users": 500,
            "quantile_ci_low": 1000.0, "quantile_ci_high": 2900.0}
    rows = [{**base, "variant": "bigger_cta", "is_control": False, "quantile_value": 2900.0,
             "rel_lift": 0.45, "rel_lift_ci_low": 0.1, "rel_lift_ci_high": 0.9},
            {**base, "variant": "control", "is_control": True, "quantile_value": 2000.0,
             "rel_lift": None, "rel_lift_ci_low": None, "rel_lift_ci_high": None},
            {**base, "quantile_level": 0.5, "variant": "control", "is_control": True,
             "quantile_value": 0.0, "quantile_ci_low": None, "quantile_ci_high": None,
             "rel_lift": None, "rel_lift_ci_low": None, "rel_lift_ci_high": None}]
    lines = quantile_lines(rows)
    header, body = lines[2], lines[3:]
    assert [x.split()[1:3] for x in body] == [["p50", "control"], ["p90", "control"], ["p90", "bigger_cta"]]
    end = header.index("value") + len("value")
    assert [x[end - 11:end].strip() for x in body] == ["0", "2000", "2900"]
    assert body[2].endswith("+45.0%    [+10.0%, +90.0%]") and "[1000, 2900]" in body[2]


def test_daily_y_limits_include_zero_and_ignore_the_first_days_wide_band():
    days = [{"rel_lift": 0.5, "sequential_ci_low": -50.0, "sequential_ci_high": 50.0},
            {"rel_lift": 0.2, "sequential_ci_low": 0.05, "sequential_ci_high": 0.35},
            {"rel_lift": 0.25, "sequential_ci_low": 0.1, "sequential_ci_high": 0.4}]
    low, high = y_limits(days)
    assert low < 0 < 50 < high < 60  # the 5000% early band leaves the panel


def test_a_breached_quantile_guardrail_is_listed_first_with_the_guardrail_lines():
    mean = {"metric_key": "errors", "variant": "b", "rel_lift": 0.01, "metric_direction": "decrease",
            "non_inferiority_margin": 0.05, "guardrail_status": "ok"}
    base = {"metric_key": "page_ms", "quantile_level": 0.9, "variant": "b", "is_control": False,
            "metric_direction": "decrease", "non_inferiority_margin": 0.02}
    quantiles = [{**base, "variant": "control", "is_control": True, "rel_lift": None,
                  "guardrail_status": None},
                 {**base, "rel_lift": 0.125, "guardrail_status": "breached"},
                 {**base, "quantile_level": 0.5, "rel_lift": -0.01, "guardrail_status": "inconclusive"}]
    lines = guardrail_lines([mean], quantiles)
    assert lines == [
        "GUARDRAIL BREACHED: p90 page_ms in b is +12.5% worse (should decrease; margin 2.0%)",
        "guardrail inconclusive: p50 page_ms in b is -1.0% worse (should decrease; margin 2.0%)",
        "guardrail ok: errors in b is +1.0% worse (should decrease; margin 5.0%)"]
    assert guardrail_lines([mean]) == lines[2:]
