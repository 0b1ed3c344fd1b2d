"""`pulse experiment report KEY`: the results table of one experiment and a lift plot.

The numbers are read as finished from marts.rpt_experiment_results (computed in the
warehouse); this command only formats them, so the terminal, the PNG and the BI tool agree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.cli_args import add_target_argument
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


def guardrail_lines(rows: list[dict]) -> list[str]:
    """One line per guardrail metric x variant: BREACHED ones first, then inconclusive, then ok."""
    order = {"breached": 0, "inconclusive": 1, "ok": 2}
    guarded = sorted((r for r in rows if r["guardrail_status"] is not None),
                     key=lambda r: (order[r["guardrail_status"]], r["metric_key"], r["variant"]))
    lines = []
    for r in guarded:
        worse = -float(r["rel_lift"]) if r["metric_direction"] == "increase" else float(r["rel_lift"])
        status = {"breached": "GUARDRAIL BREACHED", "inconclusive": "guardrail inconclusive",
                  "ok": "guardrail ok"}[r["guardrail_status"]]
        lines.append(f"{status}: {r['metric_key']} in {r['variant']} is {worse:+.1%} worse "
                     f"(should {r['metric_direction']}; margin {float(r['non_inferiority_margin']):.1%})")
    return lines


def format_table(experiment_key: str, rows: list[dict]) -> str:
    """A fixed-width text table plus the experiment's health line."""
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
             *guardrail_lines(rows),
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


def plot_lifts(experiment_key: str, rows: list[dict], out: Path) -> Path:
    """Relative lift with its confidence interval per metric and treatment variant (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    treated = [r for r in rows if not r["is_control"] and r["rel_lift"] is not None]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * max(len(treated), 1)))
    for i, r in enumerate(reversed(treated)):
        lift = 100 * float(r["rel_lift"])
        lo, hi = (100 * b for b in interval(r))
        p = significance_p(r)
        color = "tab:gray" if p is None or p >= 0.05 else ("tab:green" if lift > 0 else "tab:red")
        ax.errorbar(lift, i, xerr=[[lift - lo], [hi - lift]], fmt="o", color=color, capsize=4)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(treated)))
    ax.set_yticklabels([f"{r['metric_key']} · {r['variant']}" for r in reversed(treated)])
    ax.set_xlabel("relative lift vs control, % (95% sequential CI; colour: sequential p < 0.05)"
                  if rows[0]["interval_method"] == "sequential" else
                  "relative lift vs control, % (95% CI; colour: adjusted p < 0.05)")
    title = experiment_key if rows[0]["is_trustworthy"] else f"{experiment_key} (UNTRUSTWORTHY)"
    ax.set_title(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return out


def cmd_report(args: argparse.Namespace) -> int:
    target = target_from_env(args.target)
    rows = fetch_results(target, args.experiment_key)
    if not rows:
        raise ValueError(f"no results for experiment {args.experiment_key!r} in "
                         f"marts.rpt_experiment_results of {target.describe()} "
                         "(is it in seeds/experiments.csv, and has dbt run?)")
    print(format_table(args.experiment_key, rows))
    out = Path(args.out or f"data/experiment_{args.experiment_key}.png")
    print(f"plot written to {plot_lifts(args.experiment_key, rows, out)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("experiment", help="experiment (A/B test) results")
    sub = p.add_subparsers(dest="experiment_command", required=True)
    report = sub.add_parser("report", help="print an experiment's results and plot its lifts")
    report.add_argument("experiment_key", help="experiment key from seeds/experiments.csv")
    add_target_argument(report)
    report.add_argument("--out", help="PNG path (default data/experiment_<key>.png)")
    report.set_defaults(func=cmd_report)
