"""Tests of the raw-event simulator: determinism, the contract, fault accounting, behaviour."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from simulator import EXPERIMENTS, PLANS, assign_variant, generate
from simulator.clock import format_ts
from simulator.experiments import has_double_exposure_bug
from simulator.population import daily_signups

START = dt.date(2026, 10, 20)  # spans the EU DST switch (Oct 25) and the US one (Nov 1)
DAYS = 13
USERS = 120
FAULT_RATE = 0.02
SEED = 7
ANOMALY_DAY = START + dt.timedelta(days=6)
TRIPLE_DAY = START + dt.timedelta(days=8)

EVENT_RE = re.compile(r"[a-z0-9_]{1,64}")
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
PLATFORMS = {"web", "ios", "android", "desktop", "api"}
STRING_FIELDS = ("user_id", "anonymous_id", "workspace_id", "session_id", "platform",
                 "app_version", "country")


def run(out: Path, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"start": START, "days": DAYS, "users": USERS, "seed": SEED,
                            "fault_rate": FAULT_RATE, "progress": False}
    args.update(kw)
    return generate(out, **args)


def file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def read_lines(root: Path) -> list[tuple[dt.date, str, bytes]]:
    """(batch date, file name, raw line) in file order."""
    out = []
    for path in sorted(root.glob("*/*.jsonl.gz")):
        batch = dt.date.fromisoformat(path.parent.name)
        for line in gzip.decompress(path.read_bytes()).split(b"\n")[:-1]:
            out.append((batch, path.name, line))
    return out


def utc_of(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def contract_errors(obj: dict[str, Any], batch: dt.date) -> list[str]:
    """The field rules of docs/raw-event-contract.md (plus the simulator's own promises)."""
    errors = []
    eid = obj.get("event_id")
    if not (isinstance(eid, str) and 1 <= len(eid) <= 128 and eid.isprintable()):
        errors.append("event_id")
    if not (isinstance(obj.get("event"), str) and EVENT_RE.fullmatch(obj["event"])):
        errors.append("event")
    ts = obj.get("ts")
    if not (isinstance(ts, str) and TS_RE.fullmatch(ts)):
        errors.append("ts format")
    else:
        parsed = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        offset = parsed.utcoffset()
        if offset is None or not dt.timedelta(hours=-12) <= offset <= dt.timedelta(hours=14):
            errors.append("ts offset")
        utc = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        batch_start = dt.datetime.combine(batch, dt.time())
        if not batch_start - dt.timedelta(days=30) <= utc < batch_start + dt.timedelta(days=2):
            errors.append("ts window")
    for name in STRING_FIELDS:
        if obj.get(name) is not None and not isinstance(obj[name], str):
            errors.append(f"{name} type")
    if not (obj.get("user_id") or obj.get("anonymous_id")):
        errors.append("identity")
    if obj.get("platform") is not None and obj["platform"] not in PLATFORMS:
        errors.append("platform")
    if obj.get("country") is not None and not COUNTRY_RE.fullmatch(obj["country"]):
        errors.append("country")
    props = obj.get("properties")
    if props is not None and not isinstance(props, dict):
        errors.append("properties type")
    props = props or {}
    event = obj.get("event")
    if event == "experiment_exposure" and not (
            isinstance(props.get("experiment"), str) and isinstance(props.get("variant"), str)):
        errors.append("exposure props")
    if event == "perf_timing":
        d = props.get("duration_ms")
        if not (isinstance(props.get("action"), str) and isinstance(d, (int, float))
                and not isinstance(d, bool) and d >= 0):
            errors.append("perf props")
    if event and event.startswith("subscription_"):
        ok = (props.get("plan") in PLANS and isinstance(props.get("seats"), int)
              and isinstance(props.get("mrr_cents"), int) and props.get("currency") == "USD")
        expected = 0 if event == "subscription_canceled" else props.get("seats", 0) * PLANS.get(
            props.get("plan"), 0)
        if not ok or props["mrr_cents"] != expected or not obj.get("workspace_id"):
            errors.append("subscription props")
    return errors


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sim_a")
    return out, run(out)


@pytest.fixture(scope="module")
def parsed(base: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    """Lines of the base run sorted into fault classes and valid events."""
    out, _ = base
    malformed, missing, valid = 0, 0, []
    for batch, name, line in read_lines(out):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            malformed += 1
            continue
        if "ts" not in obj or "event" not in obj:
            missing += 1
            continue
        valid.append((batch, name, obj))
    first: dict[str, dict[str, Any]] = {}
    batches: dict[str, list[dt.date]] = defaultdict(list)
    for batch, _, obj in valid:
        first.setdefault(obj["event_id"], obj)
        batches[obj["event_id"]].append(batch)
    return {"malformed": malformed, "missing": missing, "valid": valid,
            "events": list(first.values()), "batches": batches}


def test_same_arguments_give_identical_bytes(base, tmp_path):
    out, stats = base
    again = run(tmp_path / "b")
    assert file_hashes(out) == file_hashes(tmp_path / "b")
    assert again == stats


def test_different_seed_gives_different_data(base, tmp_path):
    out, _ = base
    run(tmp_path / "c", seed=SEED + 1, days=2)
    first = sorted(out.glob(f"{START}/*"))[0]
    assert first.read_bytes() != (tmp_path / "c" / first.parent.name / first.name).read_bytes()


def test_layout_and_batch_stats(base):
    out, stats = base
    dates = [(START + dt.timedelta(days=d)).isoformat() for d in range(DAYS)]
    assert sorted(p.name for p in out.iterdir()) == dates
    files = 0
    for date in dates:
        names = sorted(p.name for p in (out / date).iterdir())
        assert 2 <= len(names) <= 3
        assert names == [f"events-{n}.jsonl.gz" for n in range(1, len(names) + 1)]
        for name in names:
            raw = (out / date / name).read_bytes()
            assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
        files += len(names)
        lines = sum(len(gzip.decompress((out / date / n).read_bytes()).splitlines())
                    for n in names)
        assert stats["batches"][date] == lines
    assert stats["files"] == files
    assert stats["lines"] == sum(stats["batches"].values())


def test_rerun_replaces_stale_files(tmp_path):
    out = tmp_path / "raw"
    run(out, days=3, users=20)
    reference = file_hashes(out)
    stale = out / START.isoformat() / "events-9.jsonl.gz"
    stale.write_bytes(b"stale")
    (out / START.isoformat() / "events-1.jsonl.gz").write_bytes(b"garbage")
    run(out, days=3, users=20)
    assert not stale.exists()
    assert file_hashes(out) == reference


def test_valid_lines_follow_the_contract(parsed):
    problems = Counter()
    for batch, _, obj in parsed["valid"]:
        for err in contract_errors(obj, batch):
            problems[err] += 1
    assert not problems, problems
    events = Counter(o["event"] for o in parsed["events"])
    for name in ("page_view", "signup", "login", "task_created", "task_completed",
                 "comment_added", "project_created", "invite_sent", "experiment_exposure",
                 "perf_timing", "subscription_started"):
        assert events[name] > 0, name


def test_fault_counts_reconcile_with_files(base, parsed):
    _, stats = base
    faults = stats["faults"]
    valid_lines = len(parsed["valid"])
    distinct = len(parsed["events"])
    assert parsed["malformed"] == faults["malformed_json"] > 0
    assert parsed["missing"] == faults["missing_field"] > 0
    assert distinct == stats["events"]
    assert valid_lines - distinct == faults["duplicate"] > 0
    assert stats["lines"] == (stats["events"] + faults["malformed_json"]
                              + faults["missing_field"] + faults["duplicate"])
    total = sum(faults.values())
    assert 0.5 * FAULT_RATE < total / stats["lines"] < 1.6 * FAULT_RATE
    # Late events land 1-5 batches after their UTC day; everything else on its own day,
    # except resends which may come one batch later.
    late = 0
    for obj in parsed["events"]:
        day = utc_of(obj["ts"]).date()
        seen = parsed["batches"][obj["event_id"]]
        lag = (min(seen) - day).days
        assert lag >= 0
        if lag:
            assert 1 <= lag <= 5 and len(seen) == 1
            late += 1
        assert all(0 <= (b - day).days <= 5 for b in seen)
    assert late == faults["late"] > 0


def test_identical_duplicates(base):
    out, _ = base
    counts = Counter(line for _, _, line in read_lines(out))
    dups = [line for line, n in counts.items() if n > 1]
    assert dups and all(orjson.loads(line)["event_id"] for line in dups)


def test_signups_and_workspaces(parsed):
    events = parsed["events"]
    signups = [o for o in events if o["event"] == "signup"]
    assert len(signups) == USERS
    assert len({o["user_id"] for o in signups}) == USERS
    anon_views = {o["anonymous_id"]: utc_of(o["ts"]) for o in events
                  if o["event"] == "page_view" and o["user_id"] is None}
    signup_at = {}
    for o in signups:
        assert o["user_id"].startswith("u_") and o["anonymous_id"].startswith("a_")
        assert o["workspace_id"].startswith("w_")
        assert {"utm_source", "utm_medium", "utm_campaign", "referrer"} <= set(o["properties"])
        assert o["anonymous_id"] in anon_views  # the visitor browsed before signing up
        signup_at[o["user_id"]] = utc_of(o["ts"])
    for o in events:
        if o["user_id"] is not None:
            assert o["workspace_id"], o
            assert utc_of(o["ts"]) >= signup_at[o["user_id"]], o
        else:
            assert o["event"] == "page_view" and o["workspace_id"] is None


def test_sessions_are_separated_by_more_than_30_minutes(parsed):
    spans: dict[str, dict[str, list[dt.datetime]]] = defaultdict(dict)
    for o in parsed["events"]:
        if o["user_id"] and o["session_id"]:
            t = utc_of(o["ts"])
            span = spans[o["user_id"]].setdefault(o["session_id"], [t, t])
            span[0], span[1] = min(span[0], t), max(span[1], t)
    for sessions in spans.values():
        ordered = sorted(sessions.values())
        for prev, nxt in itertools.pairwise(ordered):
            assert nxt[0] - prev[1] > dt.timedelta(minutes=30)
        assert all(end - begin < dt.timedelta(hours=4) for begin, end in ordered)


def test_experiment_assignment_is_stable(parsed):
    assert assign_variant("u_000001", "pricing_page_v2") == assign_variant(
        "u_000001", "pricing_page_v2")
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in parsed["events"]:
        if o["event"] == "experiment_exposure":
            key, variant = o["properties"]["experiment"], o["properties"]["variant"]
            assert variant in EXPERIMENTS[key]["variants"]
            start = START + dt.timedelta(days=EXPERIMENTS[key]["start_day"])
            assert utc_of(o["ts"]).date() >= start
            seen[(o["user_id"], key)].add(variant)
    assert {k for _, k in seen} == set(EXPERIMENTS)
    for (user, key), variants in seen.items():
        if not has_double_exposure_bug(user, key):
            assert variants == {assign_variant(user, key)}
    # The split follows the weights (loosely, on 10k synthetic ids).
    split = Counter(assign_variant(f"u_{i:06d}", "pricing_page_v2") for i in range(10_000))
    assert abs(split["control"] / 10_000 - 0.5) < 0.03
    assert abs(split["bigger_cta"] / 10_000 - 0.25) < 0.03


def test_timestamps_cover_real_zones(parsed):
    suffixes = {o["ts"][23:] for o in parsed["events"]}
    assert "Z" in suffixes
    assert len(suffixes) >= 8
    ms = int(dt.datetime(2026, 11, 25, 14, 3, 22, 123000, dt.timezone.utc).timestamp() * 1000)
    assert format_ts(ms, "Pacific/Kiritimati") == "2026-11-26T04:03:22.123+14:00"
    assert format_ts(ms, "America/New_York") == "2026-11-25T09:03:22.123-05:00"
    assert format_ts(ms, "Asia/Kolkata") == "2026-11-25T19:33:22.123+05:30"
    assert format_ts(ms, "Pacific/Pago_Pago") == "2026-11-25T03:03:22.123-11:00"
    assert format_ts(ms, None) == "2026-11-25T14:03:22.123Z"
    summer = ms - 40 * 86_400_000  # before the US DST switch on 2026-11-01
    assert format_ts(summer, "America/New_York").endswith("-04:00")


def test_daily_signups_are_seasonal_and_exact():
    counts = daily_signups(dt.date(2026, 10, 5), 28, 2000, growth=0.25)  # starts on a Monday
    assert sum(counts) == 2000
    weekday = [c for d, c in enumerate(counts) if d % 7 < 5]
    weekend = [c for d, c in enumerate(counts) if d % 7 >= 5]
    assert min(weekday) > max(weekend)
    assert sum(counts[21:]) > sum(counts[:7])


@pytest.fixture(scope="module")
def with_anomalies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sim_anomaly")
    anomalies = [
        {"date": ANOMALY_DAY.isoformat(), "event": "task_created", "factor": 0},
        {"date": TRIPLE_DAY.isoformat(), "event": "page_view", "factor": 3.0},
        {"date": TRIPLE_DAY.isoformat(), "late_batch": True},
    ]
    return out, run(out, anomalies=anomalies)


def _valid_by_day(root: Path, event: str) -> Counter[dt.date]:
    seen, counts = set(), Counter()
    for _, _, line in read_lines(root):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if obj.get("event") == event and "ts" in obj and obj["event_id"] not in seen:
            seen.add(obj["event_id"])
            counts[utc_of(obj["ts"]).date()] += 1
    return counts


def test_anomalies_change_only_their_day(base, with_anomalies):
    out, _ = base
    anomalous, stats = with_anomalies
    assert stats["late_batches"] == [TRIPLE_DAY.isoformat()]
    tasks, tasks_base = _valid_by_day(anomalous, "task_created"), _valid_by_day(out, "task_created")
    assert tasks_base[ANOMALY_DAY] > 0 and tasks[ANOMALY_DAY] == 0
    assert tasks[ANOMALY_DAY - dt.timedelta(days=1)] == tasks_base[ANOMALY_DAY - dt.timedelta(days=1)]
    views, views_base = _valid_by_day(anomalous, "page_view"), _valid_by_day(out, "page_view")
    assert 2.5 < views[TRIPLE_DAY] / views_base[TRIPLE_DAY] < 3.5
    a, b = file_hashes(out), file_hashes(anomalous)
    for day in range((ANOMALY_DAY - START).days):
        date = (START + dt.timedelta(days=day)).isoformat()
        assert {k: v for k, v in a.items() if k.startswith(date)} == \
            {k: v for k, v in b.items() if k.startswith(date)}


def test_bad_anomalies_are_rejected(tmp_path):
    with pytest.raises(ValueError):
        run(tmp_path, days=1, users=1, anomalies=[{"date": "2026-10-20", "factr": 0}])
    with pytest.raises(ValueError):
        run(tmp_path, days=1, users=1, anomalies=[{"event": "signup", "factor": 0}])


def test_checklist_raises_first_week_task_creation(tmp_path):
    """The planted effect is visible on a medium population (fixed seed, so not flaky)."""
    out = tmp_path / "medium"
    generate(out, START, 10, 500, seed=3, fault_rate=0.0, progress=False)
    first_exposure: dict[str, dt.datetime] = {}
    tasks: dict[str, list[dt.datetime]] = defaultdict(list)
    for _, _, line in read_lines(out):
        o = orjson.loads(line)
        t = utc_of(o["ts"])
        if o["event"] == "experiment_exposure" and \
                o["properties"]["experiment"] == "onboarding_checklist":
            first_exposure[o["user_id"]] = min(first_exposure.get(o["user_id"], t), t)
        elif o["event"] == "task_created" and o["platform"] != "api":
            tasks[o["user_id"]].append(t)
    rate: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for user, first in first_exposure.items():
        cell = rate[assign_variant(user, "onboarding_checklist")]
        cell[0] += 1
        cell[1] += any(first <= t < first + dt.timedelta(days=7) for t in tasks[user])
    control = rate["control"][1] / rate["control"][0]
    checklist = rate["checklist"][1] / rate["checklist"][0]
    assert checklist > control * 1.1
