"""rpt_experiment_results against an independent reference (numpy/scipy), on DuckDB and PostgreSQL.

Synthetic experiments with known effects are written as contract-v1 raw event lines, run
through the real pipeline (ingest → lake → load) and `dbt build` in a copy of the project
whose experiment seeds describe them. The reference re-derives every user-level value from
the same event lines in plain Python (exposure rules, windows, filters, watermark) and every
statistic with scipy: Welch t-test, chi-square, Benjamini-Hochberg, delta-method CI, CUPED.
Then every column of every row is compared: means and variances to 1e-9 relative, p-values
and CI bounds to 1e-4 absolute (all arms have at least 200 users).

The Bayesian read-out (chance to win, risk, credible interval) and the sequential interval
are compared with GrowthBook's stats engine gbstats (EffectBayesianABTest,
SequentialTwoSidedTTest on the relative lift), to 1e-4 absolute; one experiment has a flat
prior, the other a normal prior on the lift.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import random
import shutil
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import SequentialConfig, SequentialTwoSidedTTest
from scipy import stats

from ingest.run import IngestOptions
from pipeline.cli import main
from pipeline.commands.experiment import (
    fetch_baseline,
    fetch_results,
    format_report,
    format_table,
    users_per_arm,
)
from pipeline.commands.experiment_plot import PANEL_HEIGHT, daily_series, plot_report
from pipeline.commands.experiment_sections import fetch_sections
from tests.experiment_reference import (
    arm_row,
    comparison,
    cuped_comparison,
    guardrail_status,
    quantile_interval,
    quantile_lift,
    statistic,
)
from tests.experiment_slice_reference import slice_results
from tests.helpers import fetch_dicts, throwaway_database
from tests.pipeline_runs import run_graph
from warehouse import Target
from warehouse.dbt import project_dir, run_dbt

pytestmark = pytest.mark.slow

START = date(2026, 3, 1)
DAYS = 21
END = START + timedelta(days=DAYS - 1)
WATERMARK = datetime.combine(END + timedelta(days=1), datetime.min.time())  # day after last batch
PRE_DAYS = 14
CONFIDENCE = 0.95

EXPERIMENTS_CSV = """\
experiment_key,variant,is_control,weight,start_date,end_date,description
exp_three_arm,control,true,5,2026-03-05,,control
exp_three_arm,big_win,false,3,2026-03-05,,large true effect
exp_three_arm,no_effect,false,2,2026-03-05,,no true effect
exp_srm,control,true,0.5,2026-03-03,2026-03-15,control
exp_srm,treatment,false,0.5,2026-03-03,2026-03-15,logged 60/40 instead of 50/50
"""
METRICS_CSV = """\
metric_key,event,metric_type,property,filter_property,filter_value,window_start_hours,window_end_hours,description,direction,non_inferiority_margin,denominator_metric
bought,conversion,binary,,goal,buy,0,,bought after exposure,,,
orders_72h,order_placed,count,,,,0,72,orders in 72 h,,,
revenue_72h,order_placed,sum,amount,,,0,72,order amount in 72 h,,,
late_orders,order_placed,count,,,,24,168,orders from day 1 to day 7,decrease,0.02,
errors,error_shown,count,,,,0,,errors after exposure,decrease,0.05,
amount_per_order,order_placed,ratio,amount,,,0,72,order amount per order in 72 h,,,orders_72h
errors_per_order,error_shown,ratio,,,,0,,errors per late order (day 1 to 7),decrease,,late_orders
"""
ASSIGNMENTS_CSV = """\
experiment_key,metric_key,role
exp_three_arm,bought,primary
exp_three_arm,orders_72h,secondary
exp_three_arm,revenue_72h,secondary
exp_three_arm,late_orders,guardrail
exp_three_arm,errors,guardrail
exp_three_arm,amount_per_order,secondary
exp_srm,errors_per_order,secondary
exp_srm,bought,primary
exp_srm,orders_72h,secondary
"""
SETTINGS_CSV = """\
experiment_key,interval_method,prior_lift_mean,prior_lift_sd
exp_three_arm,sequential,,
exp_srm,fixed_horizon,0.02,0.1
"""
SLICES_CSV = """\
experiment_key,dimension,top_n,correction
exp_three_arm,platform,2,metrics
exp_three_arm,country,3,slices
exp_three_arm,user_type,2,metrics_and_slices
exp_srm,platform,2,metrics_and_slices
"""
QUANTILES_CSV = """\
experiment_key,metric_key,quantile_level,is_guardrail
exp_three_arm,revenue_72h,0.9,false
exp_three_arm,revenue_72h,0.5,true
exp_three_arm,late_orders,0.9,true
exp_srm,orders_72h,0.9,false
"""
SLICE_PLATFORMS = ["web", "ios", "android"]
SEQUENTIAL_TUNING = 5000  # dbt var experiment_sequential_tuning

# variant -> (true users, multiplier on conversion and order rates)
DESIGN = {
    "exp_three_arm": {"control": (1000, 1.0), "big_win": (600, 1.5), "no_effect": (400, 1.0)},
    "exp_srm": {"control": (360, 1.0), "treatment": (240, 1.0)},
}
MULTI_VARIANT = {"exp_three_arm": 4, "exp_srm": 15}
STITCHED = 6  # users per experiment whose first exposure is anonymous, stitched by a later login


# ----------------------------------------------------------------------------- data
def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")


def seed_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def generate_events(seed: int = 11) -> list[dict]:
    """Event dicts (contract v1) of both synthetic experiments; ts in ms, all UTC."""
    rng = random.Random(seed)
    events: list[dict] = []
    period_start = datetime.combine(START, datetime.min.time())
    period_end = WATERMARK - timedelta(minutes=1)

    def emit(user: str | None, name: str, at: datetime, props: dict | None = None,
             anonymous_id: str | None = None) -> None:
        if not period_start <= at <= period_end:
            return
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        events.append({"event_id": f"e{len(events):07d}", "event": name, "ts": _ts(at),
                       "user_id": user, "anonymous_id": anonymous_id, "properties": props})

    def random_time(lo: datetime, hi: datetime) -> datetime:
        return lo + timedelta(milliseconds=rng.randrange(int((hi - lo).total_seconds() * 1000)))

    variants_of = {k: list(v) for k, v in DESIGN.items()}
    for exp, arms in DESIGN.items():
        rows = [r for r in seed_rows(EXPERIMENTS_CSV) if r["experiment_key"] == exp]
        exp_start = datetime.fromisoformat(rows[0]["start_date"])
        exp_end = (datetime.fromisoformat(rows[0]["end_date"]) + timedelta(days=1)
                   if rows[0]["end_date"] else WATERMARK)
        users = [(variant, lift) for variant, (n, lift) in arms.items() for _ in range(n)]
        rng.shuffle(users)
        for i, (variant, lift) in enumerate(users):
            user = f"{exp}_u{i:05d}"
            baseline = rng.gammavariate(2.0, 0.15)        # orders per day, varies by user
            first = random_time(exp_start, exp_end - timedelta(hours=1))
            if rng.random() < 0.05:                        # seen before the start: ignored
                emit(user, "experiment_exposure", first - timedelta(days=3),
                     {"experiment": exp, "variant": variant})
            stitched = MULTI_VARIANT[exp] <= i < MULTI_VARIANT[exp] + STITCHED
            for k in range(1 + int(rng.expovariate(1.0))):
                at = first if k == 0 else random_time(first, exp_end)
                if k == 0 and stitched:  # first seen signed out; the device logs in an hour later
                    emit(None, "experiment_exposure", at, {"experiment": exp, "variant": variant},
                         anonymous_id=f"dev_{user}")
                    emit(user, "login", at + timedelta(hours=1), anonymous_id=f"dev_{user}")
                else:
                    emit(user, "experiment_exposure", at, {"experiment": exp, "variant": variant})
            if i < MULTI_VARIANT[exp]:
                other = rng.choice([v for v in variants_of[exp] if v != variant])
                emit(user, "experiment_exposure", random_time(first, exp_end),
                     {"experiment": exp, "variant": other})
            # pre-period and post-period orders (Poisson by exponential gaps)
            t = first - timedelta(days=PRE_DAYS + 2)
            while True:
                rate = baseline * (lift if t >= first else 1.0)
                step = t + timedelta(days=rng.expovariate(rate))
                if t < first <= step:  # memoryless: restart at the exposure with the new rate
                    t = first
                    continue
                t = step
                if t > first + timedelta(days=8):
                    break
                amount = round(rng.lognormvariate(3.0, 0.7), 2)
                props = {"amount": amount} if rng.random() > 0.03 else {"note": "no amount"}
                emit(user, "order_placed", t, props)
            if rng.random() < min(1.0, 0.12 * lift + 0.05 * baseline):
                emit(user, "conversion", random_time(first, exp_end), {"goal": "buy"})
            if rng.random() < 0.3:
                emit(user, "conversion", random_time(first, exp_end), {"goal": "newsletter"})
            if rng.random() < 0.2:
                emit(user, "conversion", random_time(first - timedelta(days=5), first),
                     {"goal": "buy"})
            for _ in range(int(rng.expovariate(0.7))):
                emit(user, "error_shown", random_time(first - timedelta(days=7), exp_end))
        for j in range(5):  # never-identified devices: counted, not analysed
            emit(None, "experiment_exposure", random_time(exp_start, exp_end),
                 {"experiment": exp, "variant": "control"}, anonymous_id=f"anon_{exp}_{j}")
    add_client_fields(events, seed)
    return events


def add_client_fields(events: list[dict], seed: int) -> None:
    """Platform and country of every event (the slice dimensions), from their own generator.

    A user (and the device it logs in from) has one country, or none (5%); each event comes
    from the user's usual platform 80% of the time, so the first exposure's platform varies.
    """
    rng = random.Random(seed + 1)
    countries = {}
    for e in events:
        owner = e["user_id"] or e["anonymous_id"].removeprefix("dev_")
        if owner not in countries:
            countries[owner] = (rng.choices(["US", "DE", "FR", "BR", "JP", None],
                                            [40, 25, 15, 10, 5, 5])[0],
                                rng.choices(SLICE_PLATFORMS, [50, 30, 20])[0])
        country, platform = countries[owner]
        e["country"] = country
        e["platform"] = platform if rng.random() < 0.8 else rng.choice(SLICE_PLATFORMS)


def write_raw(events: list[dict], raw: Path) -> None:
    by_day: dict[str, list[str]] = defaultdict(list)
    for e in events:
        line = {k: v for k, v in e.items() if v is not None}
        by_day[e["ts"][:10]].append(json.dumps(line, sort_keys=True))
    for day in range((END - START).days + 1):
        d = (START + timedelta(days=day)).isoformat()
        (raw / d).mkdir(parents=True, exist_ok=True)
        (raw / d / "events.jsonl").write_text("\n".join(by_day[d]) + "\n")


# ----------------------------------------------------------------------------- reference
def reference_user_values(events: list[dict], as_of: datetime | None = None,
                          ) -> dict[tuple[str, str], dict[str, tuple[np.ndarray, ...]]]:
    """(experiment, metric) -> variant -> (values, pre-exposure values, users, denominators),
    from the raw lines (denominators: None but for ratio metrics, whose values are numerators).
    as_of: the values known at that watermark (users exposed before it, fixed windows ended by
    it, open windows' events before it; multi-variant users as known from all the data).

    Also (experiment, "_exposure") -> user -> (first exposure, variants seen) and
    (experiment, "_first_platform") -> user -> platform of the first exposure, and
    ("_users", "first_seen" | "country") -> user -> the dim_users column.
    """
    experiments = defaultdict(dict)
    for r in seed_rows(EXPERIMENTS_CSV):
        experiments[r["experiment_key"]][r["variant"]] = r
    metrics = {r["metric_key"]: r for r in seed_rows(METRICS_CSV)}
    # identity stitching: a device belongs to the user of its first event carrying both ids
    device_owner: dict[str, str] = {}
    for e in sorted(events, key=lambda e: (_parse(e["ts"]), e["event_id"])):
        if e["user_id"] and e["anonymous_id"]:
            device_owner.setdefault(e["anonymous_id"], e["user_id"])
    by_user: dict[str, list[tuple[datetime, dict]]] = defaultdict(list)
    for e in events:
        owner = e["user_id"] or device_owner.get(e["anonymous_id"])
        if owner:
            by_user[owner].append((_parse(e["ts"]), e))

    result: dict = {("_users", "first_seen"): {u: min(t for t, _ in evs) for u, evs in by_user.items()},
                    ("_users", "country"): {}}
    for user, evs in by_user.items():  # dim_users.country: the latest event's that has one
        latest = max(((t, e["event_id"], e["country"]) for t, e in evs if e.get("country")),
                     default=None)
        result[("_users", "country")][user] = latest and latest[2]
    for exp, variants in experiments.items():
        first_row = next(iter(variants.values()))
        lo = datetime.fromisoformat(first_row["start_date"])
        hi = (datetime.fromisoformat(first_row["end_date"]) + timedelta(days=1)
              if first_row["end_date"] else None)
        exposed: dict[str, tuple[datetime, set[str]]] = {}
        first_platform: dict[str, str | None] = {}
        for user, evs in by_user.items():
            seen = [(t, e["properties"]["variant"]) for t, e in evs
                    if e["event"] == "experiment_exposure"
                    and e["properties"]["experiment"] == exp
                    and e["properties"]["variant"] in variants
                    and t >= lo and (hi is None or t < hi)]
            if seen:
                exposed[user] = (min(t for t, _ in seen), {v for _, v in seen})
                first_exposure = min((t, e["event_id"], e["platform"]) for t, e in evs
                                     if e["event"] == "experiment_exposure"
                                     and e["properties"]["experiment"] == exp
                                     and e["properties"]["variant"] in variants
                                     and t >= lo and (hi is None or t < hi))
                first_platform[user] = first_exposure[2]
        result[(exp, "_exposure")] = exposed
        result[(exp, "_first_platform")] = first_platform
        for a in seed_rows(ASSIGNMENTS_CSV):
            if a["experiment_key"] != exp:
                continue
            m = metrics[a["metric_key"]]
            denominator = metrics.get(m["denominator_metric"])
            arms: dict[str, tuple[list, ...]] = {v: ([], [], [], []) for v in variants}
            for user, (first, seen) in exposed.items():
                if len(seen) > 1 or (as_of is not None and first >= as_of):
                    continue
                values = metric_values(m, by_user[user], first, hi, as_of)
                if values is None:
                    continue
                if denominator is not None:  # ratio: the denominator metric in its own window
                    denominator_values = metric_values(denominator, by_user[user], first, hi, as_of)
                    if denominator_values is None:
                        continue
                arm = arms[next(iter(seen))]
                arm[0].append(values[0])
                arm[1].append(values[1])
                arm[2].append(user)
                arm[3].append(denominator_values[0] if denominator is not None else np.nan)
            result[(exp, a["metric_key"])] = {
                v: (np.array(x), np.array(y), u, None if denominator is None else np.array(d))
                for v, (x, y, u, d) in arms.items()}
    return result


def metric_values(m: dict, events: list[tuple[datetime, dict]], first: datetime,
                  hi: datetime | None, as_of: datetime | None = None) -> tuple[float, float] | None:
    """A user's (value, pre-exposure value) of metric row m, None while its window is open
    (at WATERMARK, or at as_of, which also ends an open window's events).

    A ratio metric's numerator is its property summed, or its events counted without one.
    """
    start = first + timedelta(hours=int(m["window_start_hours"]))
    if m["window_end_hours"]:
        end = first + timedelta(hours=int(m["window_end_hours"]))
        if end > (as_of or WATERMARK):
            return None
    else:
        end = hi if as_of is None else min(hi or as_of, as_of)
    pre_start = first - timedelta(days=PRE_DAYS)
    kind = m["metric_type"] if m["metric_type"] != "ratio" else ("sum" if m["property"] else "count")

    def value(in_window) -> float:
        hits = [e for t, e in events if e["event"] == m["event"] and in_window(t)
                and (not m["filter_property"]
                     or str((e["properties"] or {}).get(m["filter_property"])) == m["filter_value"])]
        if kind == "binary":
            return float(bool(hits))
        if kind == "count":
            return float(len(hits))
        return float(sum(v for e in hits
                         if isinstance(v := (e["properties"] or {}).get(m["property"]), (int, float))))

    return (value(lambda t: t >= start and (end is None or t < end)),
            value(lambda t: pre_start <= t < first))


def reference_results(events: list[dict]) -> dict[tuple[str, str, str], dict]:
    """Expected rpt_experiment_results rows, keyed by (experiment, metric, variant)."""
    values = reference_user_values(events)
    experiments = defaultdict(dict)
    for r in seed_rows(EXPERIMENTS_CSV):
        experiments[r["experiment_key"]][r["variant"]] = r
    roles = {(a["experiment_key"], a["metric_key"]): a["role"] for a in seed_rows(ASSIGNMENTS_CSV)}
    z = stats.norm.ppf(1 - (1 - CONFIDENCE) / 2)
    rows: dict = {}
    for exp, variants in experiments.items():
        exposed = values[(exp, "_exposure")]
        multi = sum(1 for _, seen in exposed.values() if len(seen) > 1)
        observed = [sum(1 for _, seen in exposed.values() if seen == {v}) for v in variants]
        weights = np.array([float(r["weight"]) for r in variants.values()])
        srm_p = stats.chisquare(observed, weights / weights.sum() * sum(observed)).pvalue
        control = next(v for v, r in variants.items() if r["is_control"] == "true")
        bh_keys, bh_ps = [], []
        for (e, metric), role in roles.items():
            if e != exp:
                continue
            arms = values[(exp, metric)]
            x_all = np.concatenate([arms[v][1] for v in variants])
            y_all = np.concatenate([arms[v][0] for v in variants])
            theta = (np.cov(x_all, y_all, ddof=1)[0, 1] / np.var(x_all, ddof=1)
                     if np.var(x_all) > 0 else 0.0)
            cuped = {v: arms[v][0] - theta * (arms[v][1] - x_all.mean()) for v in variants}
            for v in variants:
                y, d = arms[v][0], arms[v][3]
                row = {**arm_row(y, d),
                       "is_control": v == control, "metric_role": role, "srm_p_value": srm_p,
                       "multi_variant_users": multi, "multi_variant_share": multi / len(exposed),
                       "has_srm": srm_p < 0.001,
                       "is_trustworthy": srm_p >= 0.001 and multi / len(exposed) <= 0.01}
                if d is None and len(y) > 1:  # no CUPED for ratio metrics
                    row["cuped_variance"] = cuped[v].var(ddof=1)
                if v != control:
                    row.update(comparison((y, d), (arms[control][0], arms[control][3]), z))
                    if d is None:  # no CUPED for ratio metrics
                        row.update(cuped_comparison(cuped[v], cuped[control]))
                    if role != "guardrail":
                        bh_keys.append((exp, metric, v))
                        bh_ps.append(row["p_value"])
                rows[(exp, metric, v)] = row
        for key, adjusted in zip(bh_keys, stats.false_discovery_control(bh_ps, method="bh")):
            rows[key]["p_value_adjusted"] = adjusted
    add_gbstats_read_outs(values, rows)
    return rows


def add_gbstats_read_outs(values: dict, rows: dict) -> None:
    """The Bayesian, sequential and guardrail columns of every overall row (gbstats_read_out)."""
    for (exp, metric, variant), row in rows.items():
        arms = values[(exp, metric)]
        control = next(v for (e, m, v), r in rows.items() if (e, m) == (exp, metric) and r["is_control"])
        row.update(gbstats_read_out(exp, metric, (arms[variant][0], arms[variant][3]),
                                    (arms[control][0], arms[control][3]), row))


def gbstats_read_out(exp: str, metric: str, t: tuple, c: tuple, row: dict) -> dict:
    """The Bayesian and sequential columns of one row computed by gbstats, and its guardrail
    status by the rule of docs/experiments.md on those intervals (the same for an overall row
    and a slice's). t and c are (values, denominators or None) of the arm and the control arm;
    row holds is_control, metric_role, rel_lift and the fixed-horizon interval.

    Every metric (binary too) is passed as a SampleMeanStatistic, i.e. with the sample
    variance (n - 1) the SQL uses for all metric types; gbstats' ProportionStatistic would
    use p (1 - p), smaller by (n - 1) / n. Ratio metrics are passed as a RatioStatistic.
    """
    setting = {r["experiment_key"]: r for r in seed_rows(SETTINGS_CSV)}[exp]
    metric_row = {r["metric_key"]: r for r in seed_rows(METRICS_CSV)}[metric]
    alpha = 1 - CONFIDENCE
    flat = not setting["prior_lift_sd"]
    out = dict(metric_direction=metric_row["direction"] or "increase",
               non_inferiority_margin=float(metric_row["non_inferiority_margin"] or 0),
               guardrail_status=None, guardrail_breached=False,
               interval_method=setting["interval_method"],
               prior_lift_mean=None if flat else float(setting["prior_lift_mean"]),
               prior_lift_sd=None if flat else float(setting["prior_lift_sd"]))
    if row["is_control"]:
        return out
    stat_c, stat_t = statistic(*c), statistic(*t)
    prior = (GaussianPrior() if flat else
             GaussianPrior(mean=float(setting["prior_lift_mean"]),
                           variance=float(setting["prior_lift_sd"]) ** 2, proper=True))
    bayes = EffectBayesianABTest(stat_c, stat_t, EffectBayesianConfig(
        alpha=alpha, difference_type="relative", prior_effect=prior)).compute_result()
    assert bayes.error_message is None, bayes.error_message
    sequential = SequentialTwoSidedTTest(stat_c, stat_t, SequentialConfig(
        alpha=alpha, difference_type="relative",
        sequential_tuning_parameter=SEQUENTIAL_TUNING)).compute_result()
    out.update(chance_to_win=bayes.chance_to_win, risk_control=bayes.risk[0],
               risk_treatment=bayes.risk[1], posterior_lift_mean=bayes.expected,
               credible_low=bayes.ci[0], credible_high=bayes.ci[1],
               sequential_ci_low=sequential.ci[0], sequential_ci_high=sequential.ci[1],
               sequential_p_value=sequential.p_value)
    low, high = (sequential.ci if setting["interval_method"] == "sequential"
                 else (row["rel_lift_ci_low"], row["rel_lift_ci_high"]))
    if row["metric_role"] == "guardrail":
        out["guardrail_status"] = guardrail_status(row["rel_lift"], low, high, out["metric_direction"],
                                                   out["non_inferiority_margin"])
        out["guardrail_breached"] = out["guardrail_status"] == "breached"
    return out


# ----------------------------------------------------------------------------- pipeline
def project_copy(dest: Path, experiments: str = EXPERIMENTS_CSV, metrics: str = METRICS_CSV,
                 assignments: str = ASSIGNMENTS_CSV, settings: str = SETTINGS_CSV,
                 slices: str = SLICES_CSV, quantiles: str = QUANTILES_CSV) -> Path:
    """The dbt project with other experiment seeds (the synthetic ones by default)."""
    root = project_dir()
    for name in ("dbt_project.yml", "profiles.yml.example"):
        shutil.copy(root / name, dest / name)
    for folder in ("models", "macros", "seeds", "analyses", "tests/dbt"):
        shutil.copytree(root / folder, dest / folder)
    (dest / "seeds/experiments.csv").write_text(experiments)
    (dest / "seeds/experiment_metrics.csv").write_text(metrics)
    (dest / "seeds/experiment_metric_assignments.csv").write_text(assignments)
    (dest / "seeds/experiment_settings.csv").write_text(settings)
    (dest / "seeds/experiment_slices.csv").write_text(slices)
    (dest / "seeds/experiment_quantiles.csv").write_text(quantiles)
    return dest


def build_experiment_models(target: Target) -> None:
    """dbt build of the experiment marts and everything upstream (one dbt invocation)."""
    run_dbt(["build", "--fail-fast", "--select", "+rpt_experiment_results", "+rpt_experiment_daily_results",
             "+rpt_experiment_slice_results", "+rpt_experiment_quantile_results", "event_catalog",
             "--exclude", "tag:reconciliation", "--indirect-selection", "cautious"],
            target=target)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    base = tmp_path_factory.mktemp("experiments")
    events = generate_events()
    write_raw(events, base / "raw")
    (base / "project").mkdir()
    return base, project_copy(base / "project"), events


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, synthetic) -> tuple[Target, list[dict]]:
    """A warehouse with the synthetic events loaded and the experiment models built."""
    base, project, events = synthetic
    if request.param == "duckdb":
        targets = iter([Target("duckdb", duckdb_path=str(base / "warehouse.duckdb"))])
    else:
        targets = throwaway_database(request.getfixturevalue("pg_server"))
    target = next(targets)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_PROJECT_DIR", str(project))
        run_graph(base / "raw", base / f"lake-{request.param}", START, END, target,
                  work=base / f"run-{request.param}", options=IngestOptions(runner="inline"),
                  skip_dbt=True)
        build_experiment_models(target)
    yield target, events
    for _ in targets:  # drop the throwaway PostgreSQL database
        pass


# ----------------------------------------------------------------------------- tests
RELATIVE_1E9 = ("metric_mean", "metric_variance", "abs_lift", "rel_lift", "welch_df",
                "multi_variant_share", "cuped_variance")
ABSOLUTE_1E4 = ("rel_lift_ci_low", "rel_lift_ci_high", "p_value", "p_value_adjusted",
                "cuped_rel_lift", "cuped_p_value", "srm_p_value",
                # against gbstats
                "chance_to_win", "risk_control", "risk_treatment", "posterior_lift_mean",
                "credible_low", "credible_high", "sequential_ci_low", "sequential_ci_high",
                "sequential_p_value")
EXACT = ("users", "is_control", "metric_role", "multi_variant_users", "has_srm", "is_trustworthy",
         "interval_method", "prior_lift_mean", "prior_lift_sd", "metric_direction",
         "non_inferiority_margin", "guardrail_status", "guardrail_breached")


def test_every_column_matches_scipy(built):
    target, events = built
    expected = reference_results(events)
    actual = {(r["experiment_key"], r["metric_key"], r["variant"]): r
              for r in fetch_dicts(target, "select * from marts.rpt_experiment_results")}
    assert set(actual) == set(expected)
    checked = set(RELATIVE_1E9 + ABSOLUTE_1E4 + EXACT + ("experiment_key", "metric_key",
                                                                 "variant"))
    assert set(next(iter(actual.values()))) == checked, "a new column needs a reference check"
    worst = defaultdict(float)
    for key, exp in expected.items():
        got = actual[key]
        assert exp["users"] >= 200, f"{key}: reference arms must have at least 200 users"
        for col in EXACT:
            assert got[col] == exp[col], (key, col)
        for col in RELATIVE_1E9 + ABSOLUTE_1E4:
            want = exp.get(col)
            if want is None:
                assert got[col] is None, (key, col, got[col])
                continue
            value = float(got[col])
            if col in RELATIVE_1E9:
                assert value == pytest.approx(want, rel=1e-9, abs=1e-12), (key, col)
            else:
                assert value == pytest.approx(want, abs=1e-4), (key, col)
            worst[col] = max(worst[col], abs(value - want))
    print(f"\n{target.name}: max |SQL - scipy| per column: "
          + ", ".join(f"{c} {v:.1e}" for c, v in sorted(worst.items())))


SLICE_RELATIVE_1E9 = ("metric_mean", "metric_variance", "abs_lift", "rel_lift", "welch_df")
SLICE_ABSOLUTE_1E4 = ("rel_lift_ci_low", "rel_lift_ci_high", "p_value", "p_value_adjusted",
                      "cuped_rel_lift", "cuped_p_value", "srm_p_value",
                      # against gbstats, as the overall rows
                      "chance_to_win", "risk_control", "risk_treatment", "posterior_lift_mean",
                      "credible_low", "credible_high", "sequential_ci_low", "sequential_ci_high",
                      "sequential_p_value")
SLICE_EXACT = ("users", "is_control", "metric_role", "correction", "slice_users", "has_srm",
               "interval_method", "prior_lift_mean", "prior_lift_sd", "metric_direction",
               "non_inferiority_margin", "guardrail_status", "guardrail_breached")
SLICE_KEY = ("experiment_key", "dimension", "slice_value", "metric_key", "variant")


def test_slice_results_match_scipy(built):
    """Every slice row and column against the reference: same tolerances as the overall mart."""
    target, events = built
    variants_of = defaultdict(dict)
    for r in seed_rows(EXPERIMENTS_CSV):
        variants_of[r["experiment_key"]][r["variant"]] = r
    roles = {(a["experiment_key"], a["metric_key"]): a["role"] for a in seed_rows(ASSIGNMENTS_CSV)}
    expected = slice_results(reference_user_values(events), variants_of, roles,
                             seed_rows(SLICES_CSV), CONFIDENCE, gbstats_read_out)
    actual = {tuple(r[k] for k in SLICE_KEY): r
              for r in fetch_dicts(target, "select * from marts.rpt_experiment_slice_results")}
    assert set(actual) == set(expected)
    assert set(next(iter(actual.values()))) \
        == set(SLICE_KEY + SLICE_RELATIVE_1E9 + SLICE_ABSOLUTE_1E4 + SLICE_EXACT)
    slices = {(k[1], k[2]) for k in expected if k[0] == "exp_three_arm"}
    assert {s for d, s in slices if d == "country"} == {"US", "DE", "FR", "(other)"}
    assert {s for d, s in slices if d == "user_type"} == {"new", "returning"}
    statuses = {r["guardrail_status"] for r in expected.values()
                if r["metric_role"] == "guardrail" and not r["is_control"]}
    assert statuses == {"breached", "inconclusive"}  # late_orders' +50% breaches in a slice
    worst = defaultdict(float)
    for key, exp in expected.items():
        got = actual[key]
        for col in SLICE_EXACT:
            assert got[col] == exp[col], (key, col, got[col], exp[col])
        for col in SLICE_RELATIVE_1E9 + SLICE_ABSOLUTE_1E4:
            want = exp.get(col)
            if want is None:
                assert got[col] is None, (key, col, got[col])
                continue
            value = float(got[col])
            if col in SLICE_RELATIVE_1E9:
                assert value == pytest.approx(want, rel=1e-9, abs=1e-12), (key, col)
            else:
                assert value == pytest.approx(want, abs=1e-4), (key, col)
            worst[col] = max(worst[col], abs(value - want))
    print(f"\n{target.name}: slices, max |SQL - scipy| per column: "
          + ", ".join(f"{c} {v:.1e}" for c, v in sorted(worst.items())))


def test_quantile_results_match_the_order_statistics(built):
    """Every quantile row against the formulas on the reference user values (exact order
    statistics, so 1e-12 relative; the formulas' coverage: tests/test_experiment_quantiles.py)."""
    target, events = built
    values = reference_user_values(events)
    actual = {(r["experiment_key"], r["metric_key"], float(r["quantile_level"]), r["variant"]): r
              for r in fetch_dicts(target, "select * from marts.rpt_experiment_quantile_results")}
    expected = {}
    for setting in seed_rows(QUANTILES_CSV):
        exp, metric, q = setting["experiment_key"], setting["metric_key"], float(setting["quantile_level"])
        arms = values[(exp, metric)]
        control = next(r["variant"] for r in seed_rows(EXPERIMENTS_CSV)
                       if r["experiment_key"] == exp and r["is_control"] == "true")
        for v, arm in arms.items():
            estimate, low, high = quantile_interval(arm[0], q, CONFIDENCE)
            row = {"is_control": v == control, "users": len(arm[0]), "quantile_value": estimate,
                   "quantile_ci_low": low, "quantile_ci_high": high,
                   "rel_lift": None, "rel_lift_ci_low": None, "rel_lift_ci_high": None}
            if v != control:
                row.update(quantile_lift(arm[0], arms[control][0], q, CONFIDENCE))
            expected[(exp, metric, q, v)] = row
    assert set(actual) == set(expected)
    for key, want in expected.items():
        for col, value in want.items():
            got = actual[key][col]
            if value is None or isinstance(value, bool | int):
                assert got == value, (key, col, got, value)
            else:
                assert float(got) == pytest.approx(value, rel=1e-12, abs=1e-12), (key, col)
    p90 = actual[("exp_three_arm", "revenue_72h", 0.9, "big_win")]
    assert p90["rel_lift_ci_low"] < p90["rel_lift"] < p90["rel_lift_ci_high"]


DAILY_RELATIVE_1E9 = ("metric_mean", "metric_variance", "rel_lift", "rel_lift_ci_low",
                      "rel_lift_ci_high", "sequential_ci_low", "sequential_ci_high")
EARLIER_DAY = date(2026, 3, 12)


def _close(got, want, where: tuple, rel: float = 1e-9, abs_: float = 1e-12) -> None:
    if want is None:
        assert got is None, (where, got)
    else:
        assert got is not None and float(got) == pytest.approx(float(want), rel=rel, abs=abs_), \
            (where, got, want)


def _daily_by_arm(target: Target) -> dict[tuple[str, str, str], list[dict]]:
    by_arm = defaultdict(list)
    for r in fetch_dicts(target, "select * from marts.rpt_experiment_daily_results"):
        by_arm[(r["experiment_key"], r["metric_key"], r["variant"])].append(r)
    for days in by_arm.values():
        days.sort(key=lambda r: r["as_of_date"])
    return by_arm


def test_daily_results_end_on_the_overall_result(built):
    """Every experiment x metric x variant has a row for every day from the start, and the
    last day's is rpt_experiment_results' row (1e-9 relative): same users, same statistics."""
    target, _ = built
    overall = {(r["experiment_key"], r["metric_key"], r["variant"]): r
               for r in fetch_dicts(target, "select * from marts.rpt_experiment_results")}
    by_arm = _daily_by_arm(target)
    assert set(by_arm) == set(overall)
    starts = {r["experiment_key"]: date.fromisoformat(r["start_date"]) for r in seed_rows(EXPERIMENTS_CSV)}
    for key, days in by_arm.items():
        dates = [r["as_of_date"] for r in days]
        assert dates == [starts[key[0]] + timedelta(days=i) for i in range(len(dates))], key
        users = [r["users"] for r in days]
        assert users == sorted(users), key  # a user only ever starts counting
        last, want = days[-1], overall[key]
        for col in ("users", "interval_method", "metric_role", "is_control"):
            assert last[col] == want[col], (key, col)
        for col in DAILY_RELATIVE_1E9:
            _close(last[col], want[col], (key, col))
    assert by_arm[("exp_three_arm", "bought", "control")][-1]["as_of_date"] == END  # running
    assert by_arm[("exp_srm", "bought", "control")][-1]["as_of_date"] > date(2026, 3, 15)  # 7-day windows
    orders = by_arm[("exp_three_arm", "orders_72h", "big_win")]
    assert orders[0]["users"] == 0 and orders[0]["rel_lift"] is None  # no 72 h window over yet
    bought = by_arm[("exp_three_arm", "bought", "big_win")]
    assert 0 < bought[0]["users"] < bought[-1]["users"]  # an open window counts from the exposure day


def test_daily_results_match_numpy_on_an_earlier_day(built):
    """One day mid-experiment, recomputed from the raw lines with what was known at its end:
    users, mean, variance and lift (numpy, 1e-9 relative), the fixed interval (scipy) and the
    sequential one (gbstats), to 1e-4."""
    target, events = built
    as_of = datetime.combine(EARLIER_DAY + timedelta(days=1), datetime.min.time())
    values = reference_user_values(events, as_of=as_of)
    actual = {key: next(r for r in days if r["as_of_date"] == EARLIER_DAY)
              for key, days in _daily_by_arm(target).items()}
    controls = {r["experiment_key"]: r["variant"] for r in seed_rows(EXPERIMENTS_CSV)
                if r["is_control"] == "true"}
    z = stats.norm.ppf(1 - (1 - CONFIDENCE) / 2)
    compared = 0
    for a in seed_rows(ASSIGNMENTS_CSV):
        exp, metric = a["experiment_key"], a["metric_key"]
        arms = values[(exp, metric)]
        control = arms[controls[exp]]
        for variant, (y, _, _, d) in arms.items():
            got, want = actual[(exp, metric, variant)], arm_row(y, d)
            where = (exp, metric, variant)
            assert got["users"] == want["users"], where
            _close(got["metric_mean"], want["metric_mean"], where)
            _close(got["metric_variance"], want["metric_variance"], where)
            if variant == controls[exp] or min(len(y), len(control[0])) < 2:
                continue
            row = comparison((y, d), (control[0], control[3]), z)
            _close(got["rel_lift"], row["rel_lift"], where)
            _close(got["rel_lift_ci_low"], row["rel_lift_ci_low"], where, rel=0, abs_=1e-4)
            _close(got["rel_lift_ci_high"], row["rel_lift_ci_high"], where, rel=0, abs_=1e-4)
            sequential = SequentialTwoSidedTTest(
                statistic(control[0], control[3]), statistic(y, d),
                SequentialConfig(alpha=1 - CONFIDENCE, difference_type="relative",
                                 sequential_tuning_parameter=SEQUENTIAL_TUNING)).compute_result()
            _close(got["sequential_ci_low"], sequential.ci[0], where, rel=0, abs_=1e-4)
            _close(got["sequential_ci_high"], sequential.ci[1], where, rel=0, abs_=1e-4)
            compared += 1
    assert compared >= 10
    # the day is an earlier state: fewer users than at the end
    overall = {(r["experiment_key"], r["metric_key"], r["variant"]): r["users"]
               for r in fetch_dicts(target, "select * from marts.rpt_experiment_results")}
    assert all(actual[k]["users"] < overall[k] for k in overall if overall[k] > 0)


def test_known_effects_srm_and_trust_flags(built):
    target, events = built
    rows = {(r["experiment_key"], r["metric_key"], r["variant"]): r
            for r in fetch_dicts(target, "select * from marts.rpt_experiment_results")}
    assert rows[("exp_three_arm", "orders_72h", "big_win")]["p_value"] < 0.001
    assert rows[("exp_three_arm", "bought", "big_win")]["p_value"] < 0.01
    assert rows[("exp_three_arm", "orders_72h", "no_effect")]["p_value"] > 0.05
    # a ratio metric: order amount per order (lognormal(3, 0.7), mean ~25) has no true effect
    per_order = rows[("exp_three_arm", "amount_per_order", "big_win")]
    assert 20 < per_order["metric_mean"] < 32 and per_order["cuped_p_value"] is None
    assert per_order["users"] == rows[("exp_three_arm", "orders_72h", "big_win")]["users"]
    # CUPED uses the pre-exposure orders, which predict the post-exposure ones: tighter test
    assert rows[("exp_three_arm", "orders_72h", "big_win")]["cuped_p_value"] \
        < rows[("exp_three_arm", "orders_72h", "big_win")]["p_value"]
    for row in rows.values():  # the always-valid interval is wider than the fixed-horizon one
        if not row["is_control"]:
            assert row["sequential_ci_low"] < row["rel_lift_ci_low"] < row["rel_lift_ci_high"] \
                < row["sequential_ci_high"]
    # the configured prior N(0.02, 0.1^2) pulls the lift towards 0.02, and narrows the interval
    srm_treated = rows[("exp_srm", "orders_72h", "treatment")]
    assert min(srm_treated["rel_lift"], 0.02) < srm_treated["posterior_lift_mean"] \
        < max(srm_treated["rel_lift"], 0.02)
    assert srm_treated["credible_high"] - srm_treated["credible_low"] \
        < srm_treated["rel_lift_ci_high"] - srm_treated["rel_lift_ci_low"]
    big = rows[("exp_three_arm", "orders_72h", "big_win")]
    assert big["chance_to_win"] > 0.999 and big["risk_treatment"] < 1e-3 < big["risk_control"]
    # late_orders as a guardrail that must not rise by more than 2%: big_win's 1.5x orders breach it
    assert rows[("exp_three_arm", "late_orders", "big_win")]["guardrail_breached"]
    assert rows[("exp_three_arm", "late_orders", "no_effect")]["guardrail_status"] != "breached"
    assert rows[("exp_three_arm", "errors", "big_win")]["guardrail_status"] in ("ok", "inconclusive")
    three = rows[("exp_three_arm", "bought", "control")]
    srm = rows[("exp_srm", "bought", "control")]
    assert three["srm_p_value"] > 0.001 and three["is_trustworthy"] and not three["has_srm"]
    assert srm["srm_p_value"] < 0.001 and srm["has_srm"] and not srm["is_trustworthy"]
    assert three["multi_variant_users"] == MULTI_VARIANT["exp_three_arm"]
    health = {r["experiment_key"]: r
              for r in fetch_dicts(target, "select * from intermediate.int_experiment_health")}
    assert health["exp_srm"]["unattributed_exposures"] == 5
    # an anonymous first exposure counts for the user its device later logs in as
    (anonymous,) = [e for e in events if e["event"] == "experiment_exposure"
                    and e["anonymous_id"] == "dev_exp_three_arm_u00004"]
    (stitched,) = fetch_dicts(target, "select first_exposure_at from intermediate.int_experiment_exposures "
                                      "where user_id = 'exp_three_arm_u00004'")
    assert stitched["first_exposure_at"] == _parse(anonymous["ts"])
    assert health["exp_three_arm"]["analysed_users"] \
        == sum(n for n, _ in DESIGN["exp_three_arm"].values()) - MULTI_VARIANT["exp_three_arm"]


def test_aa_benchmark_uses_the_sql_formulas(built):
    """bench/experiments_aa.py simulates with `read_outs`: the same intervals as the mart."""
    spec = importlib.util.spec_from_file_location(
        "experiments_aa", Path(__file__).parents[1] / "bench" / "experiments_aa.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    target, _ = built
    rows = fetch_dicts(target, "select * from marts.rpt_experiment_results")
    control = {(r["experiment_key"], r["metric_key"]): r for r in rows if r["is_control"]}
    treated = [r for r in rows if not r["is_control"]]
    assert len(treated) == 15

    def arm(r: dict) -> tuple[float, float, float]:
        n, m, v = r["users"], float(r["metric_mean"]), float(r["metric_variance"])
        return n, n * m, (n - 1) * v + n * m * m

    for r in treated:
        c = control[(r["experiment_key"], r["metric_key"])]
        got = bench.read_outs(*arm(r), *arm(c), confidence=CONFIDENCE, tuning=SEQUENTIAL_TUNING)
        lift = float(got["rel_lift"])
        assert lift - float(got["sequential_half_width"]) \
            == pytest.approx(float(r["sequential_ci_low"]), abs=1e-9)
        assert lift + float(got["fixed_half_width"]) \
            == pytest.approx(float(r["rel_lift_ci_high"]), abs=1e-8)


def test_report_reads_the_configured_interval(built):
    target, _ = built
    rows = fetch_results(target, "exp_three_arm")
    table = format_table("exp_three_arm", rows)
    assert "interval: sequential (always valid" in table and "flat prior" in table
    big = next(r for r in rows if (r["metric_key"], r["variant"]) == ("orders_72h", "big_win"))
    line = next(x for x in table.splitlines() if x.startswith("orders_72h") and "big_win" in x)
    assert f"[{float(big['sequential_ci_low']):+.1%}, {float(big['sequential_ci_high']):+.1%}]" in line
    assert f"{float(big['chance_to_win']):.1%}" in line
    lines = table.splitlines()  # guardrails first: the breach right under the health lines
    assert lines[2].startswith("GUARDRAIL BREACHED: late_orders in big_win is +")
    assert rows[0]["metric_role"] == "guardrail"
    fixed = format_table("exp_srm", fetch_results(target, "exp_srm"))
    assert "interval: fixed horizon" in fixed and "N(+2.0%, 10.0%^2)" in fixed


def test_report_shows_slices_quantiles_and_the_daily_panels(built, tmp_path):
    """After the results table: one slice table per configured dimension (the primary metric's
    rows, columns under their header) and the quantile read-outs, read from the marts; the
    PNG gets one daily panel per treatment metric and variant."""
    target, _ = built
    rows = fetch_results(target, "exp_three_arm")
    sections = fetch_sections(target, "exp_three_arm")
    report = format_report("exp_three_arm", rows, sections)
    assert report.startswith(format_table("exp_three_arm", rows, sections.quantiles) + "\n")
    assert "\x1b" not in report
    lines = report.splitlines()
    guardrails = lines[2:lines.index(next(x for x in lines if x.startswith("metric ")))]
    assert guardrails[0].startswith("GUARDRAIL BREACHED")  # breaches first, quantiles included
    assert any(x.startswith("GUARDRAIL BREACHED: p90 late_orders in big_win is +") for x in guardrails)
    for dimension in ("country", "platform", "user_type"):
        assert sum(x.startswith(f"slices by {dimension} (primary metrics;") for x in lines) == 1
    want = next(r for r in sections.slices if (r["dimension"], r["slice_value"], r["metric_key"],
                                               r["variant"]) == ("country", "US", "bought", "big_win"))
    start = next(i for i, x in enumerate(lines) if x.startswith("slices by country"))
    header = lines[start + 1]
    line = next(x for x in lines[start:] if x.split()[:3] == ["US", "bought", "big_win"])
    end = header.index("p adj") + len("p adj")
    assert line[end - 8:end].strip() == f"{float(want['p_value_adjusted']):.4f}"
    assert f"[{float(want['rel_lift_ci_low']):+.1%}, {float(want['rel_lift_ci_high']):+.1%}]" in line
    control = next(r for r in sections.slices if (r["dimension"], r["slice_value"], r["metric_key"])
                   == ("country", "US", "bought") and r["is_control"])
    assert f" {want['users']}/{control['users']} " in line
    assert not any(x.split()[1:2] == ["orders_72h"] for x in lines[start:start + 12])  # secondary
    p90 = next(r for r in sections.quantiles if (r["metric_key"], float(r["quantile_level"]),
                                                 r["variant"]) == ("revenue_72h", 0.9, "big_win"))
    line = next(x for x in lines if x.split()[:3] == ["revenue_72h", "p90", "big_win"])
    assert f"{float(p90['quantile_value']):.6g}" in line and f"{float(p90['rel_lift']):+.1%}" in line
    assert sum(x.split()[:2] == ["revenue_72h", "p50"] for x in lines) == 3  # control and two arms

    series = daily_series(rows, sections.daily)
    treated = [(r["metric_key"], r["variant"]) for r in rows if not r["is_control"]]
    assert list(series) == treated  # a panel per treatment metric and variant, in table order
    out = plot_report("exp_three_arm", rows, sections.daily, tmp_path / "three.png")
    import matplotlib.image

    height = matplotlib.image.imread(out).shape[0]
    assert height == pytest.approx(110 * (1.2 + 0.45 * len(treated) + 0.6
                                          + PANEL_HEIGHT * math.ceil(len(treated) / 2)), abs=2)


def normal_power(n: int, effect: float, sd: float, alpha: float) -> float:
    """Power of the two-sided two-sample z-test with n per arm (both tails; scipy)."""
    shift = effect / (sd * math.sqrt(2.0 / n))
    z = stats.norm.ppf(1 - alpha / 2)
    return stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z)


def test_plan_sample_sizes_match_scipy_power(built, monkeypatch, capsys):
    """users_per_arm is the smallest n with the power asked for (two-sided z-test, both
    tails, power from scipy's normal), and the t-test has that power at n within 0.005
    (scipy's noncentral t). statsmodels' NormalIndPower solves the same equation but is not
    in the environment."""
    target, _ = built
    base = fetch_baseline(target, "orders_72h")
    (control,) = fetch_dicts(target, "select * from marts.rpt_experiment_results where experiment_key "
                                     "= 'exp_three_arm' and metric_key = 'orders_72h' and is_control")
    (health,) = fetch_dicts(target, "select * from intermediate.int_experiment_health "
                                    "where experiment_key = 'exp_three_arm'")
    assert base.experiment_key == "exp_three_arm"  # started last
    assert (base.users, base.mean, base.variance, base.cuped_variance) == (
        control["users"], control["metric_mean"], control["metric_variance"], control["cuped_variance"])
    assert base.users_per_day == pytest.approx(health["analysed_users"] / ((END - date(2026, 3, 5)).days + 1))
    assert base.cuped_variance < base.variance  # the pre-exposure orders explain some variance
    for variance in (base.variance, base.cuped_variance):
        sd = math.sqrt(variance)
        for mde, alpha, power in ((0.05, 0.05, 0.8), (0.1, 0.01, 0.9), (0.02, 0.1, 0.5), (0.3, 0.05, 0.8)):
            n = users_per_arm(base.mean, variance, mde, alpha, power)
            effect = mde * base.mean
            assert normal_power(n, effect, sd, alpha) >= power > normal_power(n - 1, effect, sd, alpha)
            df = 2 * n - 2
            t_crit = stats.t.ppf(1 - alpha / 2, df)
            nc = effect / (sd * math.sqrt(2.0 / n))
            t_power = stats.nct.sf(t_crit, df, nc) + stats.nct.cdf(-t_crit, df, nc)
            assert t_power == pytest.approx(power, abs=0.005), (mde, alpha, power, n)

    for key, value in target.dbt_env().items():
        monkeypatch.setenv(key, value)
    assert main(["experiment", "plan", "orders_72h", "--mde", "0.1"]) == 0
    printed = capsys.readouterr().out
    n = users_per_arm(base.mean, base.variance, 0.1, 0.05, 0.8)
    n_cuped = users_per_arm(base.mean, base.cuped_variance, 0.1, 0.05, 0.8)
    days = math.ceil(2 * n / base.users_per_day)
    assert f"without CUPED:  {n:,} users per arm, {2 * n:,} in all, {days:,} days" in printed
    assert f"with CUPED:     {n_cuped:,} users per arm" in printed and n_cuped < n
    assert main(["experiment", "plan", "amount_per_order"]) == 0  # a ratio metric: no CUPED
    assert "not available for this metric (ratio metric)" in capsys.readouterr().out
    assert main(["experiment", "plan", "no_such_metric"]) == 1
