"""`pulse experiment report KEY`: the results table of one experiment, its slices and
quantiles, and a plot of its lifts and of its read-out by day;
`pulse experiment plan METRIC`: the users and days an experiment on METRIC needs.

The numbers are read as finished from marts.rpt_experiment_results and the slice, quantile
and daily marts (computed in the warehouse; experiment_sections.py, experiment_plot.py);
report only formats them, so the terminal, the PNG and the BI tool agree. plan
takes the metric's variance in the control arm of the latest experiment that measured it
(and its CUPED-adjusted variance) and applies the two-sample normal power formula.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

from pipeline.cli_args import add_target_argument
from pipeline.commands.experiment_sections import (
    Sections,
    fetch_sections,
    quantile_label,
    quantile_lines,
    slice_lines,
)
from warehouse.locks import NothingBuilt, read_connection
from warehouse.target import Target, target_from_env

COLUMNS = ("metric_key", "metric_role", "variant", "is_control", "users", "metric_mean",
           "rel_lift", "rel_lift_ci_low", "rel_lift_ci_high", "p_value", "p_value_adjusted",
           "cuped_rel_lift", "cuped_p_value", "srm_p_value", "multi_variant_users", "has_srm",
           "is_trustworthy", "interval_method", "sequential_ci_low", "sequential_ci_high",
           "sequential_p_value", "prior_lift_mean", "prior_lift_sd", "chance_to_win",
           "risk_control", "risk_treatment", "metric_direction", "non_inferiority_margin",
           "guardrail_status", "guardrail_breached")
ROLE_ORDER = {"guardrail": 0, "primary": 1, "secondary": 2}


def fetch_results(target: Target, experiment_key: str) -> list[dict]:
    """The experiment's rows, guardrails first, then primary metrics; control first within a metric."""
    sql = f"select {', '.join(COLUMNS)} from marts.rpt_experiment_results where experiment_key = %s"
    with read_connection(target) as client:
        if not client.table_exists("marts", "rpt_experiment_results"):
            raise NothingBuilt(f"nothing is built yet in {target.describe()}: no "
                               "marts.rpt_experiment_results (run `pulse run` first)")
        rows = [dict(zip(COLUMNS, r, strict=True)) for r in client.fetch(sql, [experiment_key])]
    return sorted(rows, key=lambda r: (ROLE_ORDER.get(r["metric_role"], 9), r["metric_key"],
                                       not r["is_control"], r["variant"]))


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(float(value), fmt)


def interval(row: dict) -> tuple[float, float] | None:
    """The interval the experiment is read with: sequential or fixed-horizon (interval_method)."""
    low, high = (("sequential_ci_low", "sequential_ci_high") if row["interval_method"] == "sequential"
                 else ("rel_lift_ci_low", "rel_lift_ci_high"))
    return None if row[low] is None else (float(row[low]), float(row[high]))


def significance_p(row: dict) -> float | None:
    """The p-value that goes with interval(): sequential, else BH-adjusted (raw for guardrails)."""
    if row["interval_method"] == "sequential":
        return row["sequential_p_value"]
    return row["p_value_adjusted"] if row["p_value_adjusted"] is not None else row["p_value"]


def guardrail_lines(rows: list[dict], quantiles: list[dict] | None = None) -> list[str]:
    """One line per guardrail metric (mean or ratio, and guardrail quantile: "p90 latency") x
    variant: BREACHED ones first, then inconclusive, then ok."""
    order = {"breached": 0, "inconclusive": 1, "ok": 2}
    named = [(r["metric_key"], r) for r in rows if r["guardrail_status"] is not None]
    named += [(f"{quantile_label(r)} {r['metric_key']}", r) for r in quantiles or []
              if r["guardrail_status"] is not None]
    guarded = sorted(named, key=lambda x: (order[x[1]["guardrail_status"]], x[0], x[1]["variant"]))
    lines = []
    for name, r in guarded:
        worse = -float(r["rel_lift"]) if r["metric_direction"] == "increase" else float(r["rel_lift"])
        status = {"breached": "GUARDRAIL BREACHED", "inconclusive": "guardrail inconclusive",
                  "ok": "guardrail ok"}[r["guardrail_status"]]
        lines.append(f"{status}: {name} in {r['variant']} is {worse:+.1%} worse "
                     f"(should {r['metric_direction']}; margin {float(r['non_inferiority_margin']):.1%})")
    return lines


def format_table(experiment_key: str, rows: list[dict], quantiles: list[dict] | None = None) -> str:
    """A fixed-width text table plus the experiment's health line and its guardrail lines
    (with the guardrail quantiles' when given)."""
    first = rows[0]
    trust = "trustworthy" if first["is_trustworthy"] else \
        "UNTRUSTWORTHY: do not act on these results"
    sequential = first["interval_method"] == "sequential"
    prior = ("flat prior" if first["prior_lift_sd"] is None else
             f"prior on the lift N({float(first['prior_lift_mean']):+.1%}, "
             f"{float(first['prior_lift_sd']):.1%}^2)")
    lines = [f"experiment {experiment_key}: SRM p = {_num(first['srm_p_value'], '.4g')}, "
             f"multi-variant users excluded = {first['multi_variant_users']} -> {trust}",
             "interval: " + ("sequential (always valid: may be read every day; p = sequential p)"
                             if sequential else "fixed horizon (valid once, at the planned end)")
             + f"; Bayesian read-out with a {prior}",
             *guardrail_lines(rows, quantiles),
             f"{'metric':<20} {'role':<9} {'variant':<16} {'users':>7} {'mean':>11} "
             f"{'rel lift':>9} {'95% CI':>19} {'p':>8} {'p adj':>8} {'cuped lift':>10} "
             f"{'cuped p':>8} {'P(win)':>7} {'risk c/t':>15}"]
    for r in rows:
        bounds = interval(r)
        ci = "" if bounds is None else f"[{bounds[0]:+.1%}, {bounds[1]:+.1%}]"
        p = r["sequential_p_value"] if sequential else r["p_value"]
        risk = "" if r["risk_control"] is None else \
            f"{float(r['risk_control']):.2%}/{float(r['risk_treatment']):.2%}"
        lines.append(
            f"{r['metric_key']:<20} {r['metric_role']:<9} "
            f"{r['variant'] + (' (c)' if r['is_control'] else ''):<16} {r['users']:>7} "
            f"{_num(r['metric_mean'], '.4f'):>11} {_num(r['rel_lift'], '+.1%'):>9} {ci:>19} "
            f"{_num(p, '.4f'):>8} {_num(r['p_value_adjusted'], '.4f'):>8} "
            f"{_num(r['cuped_rel_lift'], '+.1%'):>10} {_num(r['cuped_p_value'], '.4f'):>8} "
            f"{_num(r['chance_to_win'], '.1%'):>7} {risk:>15}")
    return "\n".join(lines)


def format_report(experiment_key: str, rows: list[dict], sections: Sections) -> str:
    """The results table, then the slice tables and the quantile read-outs (when built)."""
    return "\n".join([format_table(experiment_key, rows, sections.quantiles),
                      *slice_lines(sections.slices or []),
                      *quantile_lines(sections.quantiles or [])])


def cmd_report(args: argparse.Namespace) -> int:
    target = target_from_env(args.target)
    rows = fetch_results(target, args.experiment_key)
    if not rows:
        raise ValueError(f"no results for experiment {args.experiment_key!r} in "
                         f"marts.rpt_experiment_results of {target.describe()} "
                         "(is it in seeds/experiments.csv, and has dbt run?)")
    sections = fetch_sections(target, args.experiment_key)
    print(format_report(args.experiment_key, rows, sections))
    from pipeline.commands.experiment_plot import plot_report  # it imports interval() from here

    out = Path(args.out or f"data/experiment_{args.experiment_key}.png")
    print(f"plot written to {plot_report(args.experiment_key, rows, sections.daily, out)}")
    return 0


@dataclass(frozen=True)
class Baseline:
    """A metric's control arm in the latest experiment that measured it, and its traffic."""

    experiment_key: str
    users: int
    mean: float
    variance: float
    cuped_variance: float | None
    users_per_day: float


def users_per_arm(mean: float, variance: float, mde: float, alpha: float, power: float) -> int:
    """The smallest users per arm (equal arms) with which a two-sided z-test at alpha detects
    a relative lift mde with the given power (both tails counted, as statsmodels'
    NormalIndPower). Start from n = (z_{1-alpha/2} + z_power)^2 * 2 variance / (mde mean)^2,
    which ignores the other tail and so is enough, then bisect down to the smallest n that is."""
    normal = NormalDist()
    z_alpha = normal.inv_cdf(1 - alpha / 2)
    z = z_alpha + normal.inv_cdf(power)
    effect = abs(mde * mean) / math.sqrt(2 * variance)

    def achieved(n: int) -> float:
        shift = effect * math.sqrt(n)
        return normal.cdf(shift - z_alpha) + normal.cdf(-shift - z_alpha)

    low, high = 0, max(math.ceil(z * z / (effect * effect)), 1)  # achieved(high) >= power
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if achieved(middle) >= power else (middle, high)
    return high


def fetch_baseline(target: Target, metric_key: str) -> Baseline:
    """The control row of the metric in the experiment (with users) that started last."""
    sql = ("select r.experiment_key, r.users, r.metric_mean, r.metric_variance, r.cuped_variance, "
           "h.analysed_users, h.exposure_days from marts.rpt_experiment_results as r "
           "inner join (select experiment_key, count(*) as analysed_users, "
           "count(distinct cast(first_exposure_at as date)) as exposure_days, "
           "min(first_exposure_at) as first_at "
           "from intermediate.int_experiment_exposures where not is_multi_variant "
           "group by experiment_key) as h on r.experiment_key = h.experiment_key "
           "where r.metric_key = %s and r.is_control and r.users > 1 "
           "order by h.first_at desc, r.experiment_key")
    with read_connection(target) as client:
        if not client.table_exists("marts", "rpt_experiment_results"):
            raise NothingBuilt(f"nothing is built yet in {target.describe()}: no "
                               "marts.rpt_experiment_results (run `pulse run` first)")
        rows = client.fetch(sql, [metric_key])
    if not rows:
        raise ValueError(f"metric {metric_key!r}: no experiment in marts.rpt_experiment_results "
                         "measured it on more than one control user "
                         "(see seeds/experiment_metric_assignments.csv)")
    key, users, mean, variance, cuped, analysed, days = rows[0]
    return Baseline(key, int(users), float(mean), float(variance),
                    None if cuped is None else float(cuped), int(analysed) / max(int(days), 1))


def format_plan(metric_key: str, base: Baseline, mde: float, alpha: float, power: float,
                arms: int) -> str:
    """The plan: users per arm, in all, and days at the baseline's traffic, without and with CUPED."""
    if base.mean == 0 or base.variance <= 0:
        raise ValueError(f"metric {metric_key!r}: its control mean or variance in "
                         f"{base.experiment_key} is 0, so no relative effect can be planned for")
    lines = [f"plan for {metric_key}, from the control arm of {base.experiment_key}: mean "
             f"{base.mean:.4g}, sd {math.sqrt(base.variance):.4g} ({base.users} users); "
             f"{base.users_per_day:.1f} analysed users a day",
             f"minimum detectable effect {mde:+.1%} relative ({mde * base.mean:+.4g} absolute), "
             f"two-sided alpha {alpha:g}, power {power:.0%}, {arms} equal arms"]
    options = [("without CUPED", base.variance)]
    if base.cuped_variance is not None:
        options.append(("with CUPED", base.cuped_variance))
    for label, variance in options:
        n = users_per_arm(base.mean, variance, mde, alpha, power)
        days = math.ceil(n * arms / base.users_per_day)
        share = variance / base.variance
        extra = "" if label == "without CUPED" else \
            f" (variance {share - 1:+.0%}: {1 - share:.0%} fewer users)"
        lines.append(f"{label + ':':<15} {n:,} users per arm, {n * arms:,} in all, {days:,} days{extra}")
    if base.cuped_variance is None:
        lines.append("with CUPED:     not available for this metric (ratio metric)")
    return "\n".join(lines)


def _fraction(low_open: float = 0.0, high_open: float = 1.0):
    """An argparse type: a number strictly between the bounds."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low_open < value < high_open:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {low_open:g} and "
                                             f"{high_open:g} (exclusive)")
        return value
    return parse


def _arms(text: str) -> int:
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number >= 2 (control included)")
    return int(text)


def cmd_plan(args: argparse.Namespace) -> int:
    base = fetch_baseline(target_from_env(args.target), args.metric_key)
    print(format_plan(args.metric_key, base, args.mde, args.alpha, args.power, args.arms))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("experiment", help="experiment (A/B test) results")
    sub = p.add_subparsers(dest="experiment_command", required=True)
    report = sub.add_parser("report", help="print an experiment's results and plot its lifts")
    report.add_argument("experiment_key", help="experiment key from seeds/experiments.csv")
    add_target_argument(report)
    report.add_argument("--out", help="PNG path (default data/experiment_<key>.png)")
    report.set_defaults(func=cmd_report)
    plan = sub.add_parser(
        "plan", help="users and days an experiment needs to detect an effect on a metric")
    plan.add_argument("metric_key", help="metric key from seeds/experiment_metrics.csv")
    plan.add_argument("--mde", type=_fraction(0.0, 10.0), default=0.05,
                      help="minimum detectable effect, a relative lift (default 0.05 = +5%%)")
    plan.add_argument("--alpha", type=_fraction(), default=0.05,
                      help="two-sided significance level (default 0.05)")
    plan.add_argument("--power", type=_fraction(), default=0.8,
                      help="chance to detect an effect of size mde (default 0.8)")
    plan.add_argument("--arms", type=_arms, default=2,
                      help="arms of equal size, control included (default 2)")
    add_target_argument(plan)
    plan.set_defaults(func=cmd_plan)
