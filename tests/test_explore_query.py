"""`pulse query`: DuckDB views over the published lake partitions, pruning, mirrors, sampling."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from explore.lake_views import LakeError
from explore.query import LakeSession, QueryError
from explore.sampling import Estimate, SampleError, parse_rate
from ingest.lake import open_lake, read_manifest
from ingest.run import IngestOptions, ingest
from pipeline.cli import main
from tests.test_ingest import line, write
from tests.test_s3_lake import s3_endpoint  # noqa: F401 - fixture

START = dt.date(2026, 10, 5)
DAYS = 3
D1 = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """Three days from the simulator (300 users), ingested into a gzip CSV lake."""
    import simulator

    work = tmp_path_factory.mktemp("explore-lake")
    simulator.generate(work / "raw", START, days=DAYS, users=300, seed=5, progress=False)
    ingest(work / "raw", work / "lake", [START + dt.timedelta(days=i) for i in range(DAYS)],
           IngestOptions(runner="inline"))
    return work / "lake"


def manifests(lake: Path, table: str) -> list:
    store = open_lake(lake)
    return [read_manifest(store, table, (START + dt.timedelta(days=i)).isoformat()) for i in range(DAYS)]


def test_views_hold_exactly_the_published_rows(lake, tmp_path):
    with LakeSession(lake, tmp_path / "cache") as s:
        for table in ("events", "perf_timings", "experiment_exposures"):
            published = sum(m.rows for m in manifests(lake, table))
            assert s.run(f"select count(*) from {table}").rows == [(published,)]
        assert s.partitions["events"] == DAYS and s.partitions["perf_timings"] == DAYS
        quarantined = sum(m.quarantined_total for m in manifests(lake, "events"))
        assert quarantined > 0
        assert s.run("select count(*) from quarantine").rows == [(quarantined,)]
        assert s.run("select count(*) from quarantine where reason is null").rows == [(0,)]


def test_a_one_day_filter_opens_only_that_days_files(lake, tmp_path):
    day = (START + dt.timedelta(days=2)).isoformat()
    with LakeSession(lake, tmp_path / "cache") as s:
        one = s.files_read(f"select event_name, count(*) from events where batch_date = '{day}' group by 1")
        assert one.count == 1 and len(one.names) == 1 and f"/events/batch_date={day}/" in one.names[0]
        assert s.files_read("select count(*) from events").count == DAYS


def test_a_partition_without_its_manifest_is_not_read(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    write(raw, D1 + dt.timedelta(days=1), "a.jsonl", [line("e3", ts="2026-11-02T10:00:00Z")])
    ingest(raw, lake, [D1, D1 + dt.timedelta(days=1)], IngestOptions(runner="inline"))
    open_lake(lake).delete("events/batch_date=2026-11-02/_manifest.json")
    with LakeSession(lake, tmp_path / "cache") as s:
        assert s.run("select event_id from events order by 1").rows == [("e1",), ("e2",)]


def test_the_parquet_mirror_is_built_once_and_rebuilt_when_republished(tmp_path):
    raw, lake, cache = tmp_path / "raw", tmp_path / "lake", tmp_path / "cache"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    ingest(raw, lake, [D1], IngestOptions(runner="inline"))
    with LakeSession(lake, cache) as s:
        assert s.run("select count(*) from events").rows == [(2,)] and s.cache.files_built == 1
    with LakeSession(lake, cache) as s:
        assert s.run("select count(*) from events").rows == [(2,)] and s.cache.files_built == 0
    write(raw, D1, "a.jsonl", [line("e1"), line("e2"), line("e3")])
    ingest(raw, lake, [D1], IngestOptions(runner="inline"))
    with LakeSession(lake, cache) as s:
        assert s.run("select count(*) from events").rows == [(3,)] and s.cache.files_built == 1
    assert len(list(cache.rglob("*.parquet"))) == 1  # the superseded mirror is gone


def test_a_parquet_file_altered_after_publishing_is_refused(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1")])
    ingest(raw, lake, [D1], IngestOptions(runner="inline", lake_format="parquet"))
    with LakeSession(lake, tmp_path / "cache") as s:  # read in place, no mirror
        assert s.run("select count(*) from events").rows == [(1,)] and s.cache.files_built == 0
    part = next((lake / "events" / "batch_date=2026-11-01").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes() + b"x")
    with LakeSession(lake, tmp_path / "cache") as s, \
            pytest.raises(LakeError, match=r"events/batch_date=2026-11-01/part-.*differs from its manifest"):
        s.run("select count(*) from events where batch_date = '2026-11-01'")


def test_an_s3_lake_is_cached_by_manifest_checksum(tmp_path, s3_endpoint):  # noqa: F811
    raw, uri = tmp_path / "raw", "s3://pulse-lake/q"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2"), "bad"])
    ingest(raw, uri, [D1], IngestOptions(runner="inline", max_quarantine_share=0.5))
    with LakeSession(uri, tmp_path / "cache") as s:
        assert s.run("select count(*) from events").rows == [(2,)]
        assert s.run("select reason from quarantine").rows == [("invalid_json",)]
        assert s.cache.files_built == 1  # the events partition's copy and mirror
        assert s.open_all()["perf_timings"] == 1 and s.cache.files_built == 1  # log tables: no files
    with LakeSession(uri, tmp_path / "cache") as s:
        assert s.run("select count(*) from events").rows == [(2,)] and s.cache.files_built == 0


def test_sampled_estimates_cover_the_true_values(lake, tmp_path):
    """Over 20 independent samples of users, the 95% intervals hold the true values about 19
    times in 20 (calibrated), and they are narrow enough to be of use."""
    sql = ("select count(*) as events, count(distinct user_id) as users, "
           "avg(duration_ms) as mean_ms from perf_timings")
    with LakeSession(lake, tmp_path / "cache") as full:
        truth = full.run(sql).rows[0]
    covered, widths = [0, 0, 0], []
    for seed in range(20):
        with LakeSession(lake, tmp_path / "cache", parse_rate("30%"), sample_seed=seed) as s:
            result = s.run(sql)
        assert result.sample_rate == 0.3
        estimates = result.rows[0]
        assert all(isinstance(e, Estimate) for e in estimates)
        assert [e.scaled for e in estimates] == [True, True, False]  # counts scaled up, a mean not
        for i, (est, true) in enumerate(zip(estimates, truth)):
            covered[i] += est.low <= true <= est.high
        widths.append((estimates[0].high - estimates[0].low) / truth[0])
    assert all(c >= 16 for c in covered), covered
    assert sorted(widths)[10] < 1.0  # finite, and the median interval narrower than +-50%


def test_sample_rate_parsing():
    assert parse_rate("10%") == 0.1 and parse_rate("0.5%") == 0.005
    for bad in ("10", "0%", "150%", "abc"):
        with pytest.raises(SampleError, match=repr(bad)):
            parse_rate(bad)


def test_cli_formats_and_one_line_errors(lake, tmp_path, capsys):
    base = ["query", "--lake", str(lake), "--cache", str(tmp_path / "cache")]
    sql = "select event_name, count(*) as n from events group by 1 order by 2 desc, 1 limit 3"
    assert main([*base, "--format", "json", sql]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and set(rows[0]) == {"event_name", "n"} and rows[0]["n"] >= rows[1]["n"]
    assert main([*base, "--format", "csv", sql]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "event_name,n" and out[1] == f"{rows[0]['event_name']},{rows[0]['n']}"
    assert main([*base, sql]) == 0
    table = capsys.readouterr()
    assert table.out.splitlines()[0].split() == ["event_name", "n"] and "(3 rows" in table.err
    (tmp_path / "q.sql").write_text("select count(*) as n from quarantine")
    assert main([*base, "--format", "csv", "-f", str(tmp_path / "q.sql")]) == 0
    assert capsys.readouterr().out.startswith("n\n")
    assert main([*base, "select nope from events"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err and "Traceback" not in err
    assert main([*base, "--sample", "0%", sql]) == 2
    assert "--sample '0%'" in capsys.readouterr().err


def test_query_errors_name_the_problem(lake, tmp_path):
    with LakeSession(lake, tmp_path / "cache") as s, pytest.raises(QueryError, match="no_such_table"):
        s.run("select * from no_such_table")


def test_funnel_counts_ordered_steps_within_the_window(tmp_path):
    from explore.views import funnel_sql

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [
        line("a1", "2026-11-01T10:00:00Z", "signup", user_id="u1"),
        line("a2", "2026-11-01T12:00:00Z", "task_created", user_id="u1"),   # 2 h: converts
        line("a3", "2026-11-01T13:00:00Z", "task_completed", user_id="u1"),  # 3 h: converts
        line("b1", "2026-11-01T10:00:00Z", "signup", user_id="u2"),
        line("b2", "2026-11-01T09:00:00Z", "task_created", user_id="u2"),   # before signup: no
        line("c1", "2026-11-01T01:00:00Z", "signup", user_id="u3"),
        line("c2", "2026-11-01T23:00:00Z", "task_created", user_id="u3"),   # 22 h: outside 12 h
        line("d1", "2026-11-01T11:00:00Z", "task_created", user_id="u4"),   # never signed up
    ])
    ingest(raw, lake, [D1], IngestOptions(runner="inline"))
    sql = funnel_sql(["signup", "task_created", "task_completed"], 12, D1, D1)
    with LakeSession(lake, tmp_path / "cache") as s:
        rows = s.run(sql).rows
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "signup", 3), (2, "task_created", 1),
                                                  (3, "task_completed", 1)]
    assert rows[1][3] == pytest.approx(2.0) and rows[2][3] == pytest.approx(3.0)


def test_view_choices_are_checked_and_values_quoted():
    from explore.views import TrendSpec, ViewError, dimension, lit, trend_sql

    assert dimension("properties.plan") == "json_extract_string(properties, '$.plan')"
    for bad in ("properties.x'); drop table t; --", "user_id; select 1", "source_file"):
        with pytest.raises(ViewError, match="cannot break down by"):
            dimension(bad)
    assert lit("o'k") == "'o''k'"
    sql = trend_sql(TrendSpec(D1, D1, events=("it's",), breakdowns=("platform",),
                              filters=(("country", "x' or '1'='1"),)))
    assert "event_name in ('it''s')" in sql and "country = 'x'' or ''1''=''1'" in sql
    assert "batch_date >= date '2026-10-31'" in sql  # older partitions are not opened
    with pytest.raises(ViewError, match="at most two"):
        trend_sql(TrendSpec(D1, D1, breakdowns=("platform", "country", "app_version")))


def manifest_reads(monkeypatch) -> list[tuple[str, str]]:
    """(table, batch) of every manifest the lake views read from now on."""
    from explore import lake_views

    reads: list[tuple[str, str]] = []
    real = lake_views.read_manifest

    def recording(store, table, batch):
        reads.append((table, batch))
        return real(store, table, batch)

    monkeypatch.setattr(lake_views, "read_manifest", recording)
    return reads


def views(session: LakeSession) -> set[str]:
    return {r[0] for r in session.con.execute("select view_name from duckdb_views() "
                                              "where not internal").fetchall()}


def test_a_query_reads_only_the_tables_and_partitions_it_names(lake, tmp_path, monkeypatch):
    reads = manifest_reads(monkeypatch)
    day = (START + dt.timedelta(days=1)).isoformat()
    published = {m.batch_date: m.rows for m in manifests(lake, "events")}
    with LakeSession(lake, tmp_path / "cache") as s:
        assert s.run("select count(*) from events").rows == [(sum(published.values()),)]
        assert {t for t, _ in reads} == {"events"} and len(reads) == DAYS  # no log table's manifest
        assert views(s) == {"events"}
    reads.clear()
    with LakeSession(lake, tmp_path / "cache2") as s:  # a new cache: no index to answer from
        sql = f"select count(*) from events where batch_date = date '{day}'"
        assert s.run(sql).rows == [(published[day],)]
        assert reads == [("events", day)] and s.partitions == {"events": 1}
        assert s.files_read(sql.replace("count(*)", "event_name, count(*)") + " group by 1").count == 1
        # a bare count over one file, which DuckDB can answer from the footer, still counts it
        assert s.files_read(sql).count == 1
        # a later statement needing more widens the view; one needing less keeps it
        assert s.run("select count(*) from events").rows == [(sum(published.values()),)]
        assert sorted(reads) == sorted(("events", b) for b in published) and s.partitions == {"events": DAYS}
        assert s.run(sql).rows == [(published[day],)] and len(reads) == DAYS
    reads.clear()
    with LakeSession(lake, tmp_path / "cache2") as s:  # the index answers for unchanged partitions
        assert s.run("select count(*) from events").rows == [(sum(published.values()),)]
        assert reads == [] and views(s) == {"events"}


def test_sql_without_table_names_it_can_read_still_works(lake, tmp_path):
    total = sum(m.rows for m in manifests(lake, "events"))
    with LakeSession(lake, tmp_path / "cache") as s:
        # table names in a string, and statements DuckDB cannot serialise: every view, or the
        # tables duckdb.get_table_names finds
        assert s.run("select count(*) from query_table('events')").rows == [(total,)]
        assert views(s) == {"events", "quarantine", *(n for n in s.partitions if n != "events")}
        assert len(views(s)) > 3
    with LakeSession(lake, tmp_path / "cache") as s:
        assert "batch_date" in [r[0] for r in s.run("describe perf_timings").rows]
        assert s.run("create table t as select count(*) as n from events; select n from t").rows == [(total,)]
        assert s.run("select 42").rows == [(42,)] and views(s) == {"events", "perf_timings"}
    with LakeSession(lake, tmp_path / "cache") as s, pytest.raises(QueryError, match="syntax error"):
        s.run("selec count(*) from events")


def test_pruned_views_answer_as_the_whole_lake_does(lake, tmp_path):
    """Bounds the planner cannot be sure of widen the view: every answer equals the answer over
    views of every partition."""
    d0, d1, d2 = ((START + dt.timedelta(days=i)).isoformat() for i in range(DAYS))
    queries = [
        f"select count(*) from events where batch_date = '{d1}' or event_name = 'signup'",
        f"select count(*) from events where not (batch_date = '{d1}')",
        f"select count(*) from events where batch_date between '{d1}' and '{d2}'",
        f"select count(*) from events where batch_date in ('{d0}', '{d2}') and platform is not null",
        f"select count(*) from events where '{d1}' < batch_date",
        f"select count(*) from events where batch_date >= '{d1}'::date and batch_date < date '{d2}'",
        f"select count(*) from events where batch_date = '{d0}' and batch_date = '{d2}'",
        f"select count(*) from events where batch_date > '{d1}'::timestamp",
        f"select count(*) from events e join perf_timings p on p.event_id = e.event_id "
        f"where p.batch_date = '{d1}'",
        f"select (select count(*) from events where batch_date = '{d0}'), count(*) from events",
        f"with x as (select * from events where batch_date = '{d0}') "
        f"select count(*) from x, (select 1 from events where batch_date = '{d2}' limit 1)",
        f"select count(*) from events e where e.batch_date <= '{d0}' "
        f"union all select count(*) from events",
        f"select batch_date, count(*) from events where batch_date = '{d2}' group by 1",
        f"select event_at::date as batch_date from events where batch_date = '{d2}' "
        f"order by 1 desc limit 1",
        f"select count(*) from quarantine where batch_date = '{d1}'",
        f"select count(*) from perf_timings where batch_date <= '{d1}' and exists "
        f"(select 1 from events where batch_date = '{d0}')",
    ]
    with LakeSession(lake, tmp_path / "cache") as whole:
        whole.open_all()
        expected = [whole.run(q).rows for q in queries]
    pruned = 0
    for q, rows in zip(queries, expected, strict=True):
        with LakeSession(lake, tmp_path / "cache") as s:
            assert s.run(q).rows == rows, q
            pruned += s.partitions.get("events", DAYS) < DAYS
    assert pruned == 7  # those bounded to fewer days than the lake holds read fewer partitions
    with LakeSession(lake, tmp_path / "cache") as s:  # one session, statements in turn
        assert [s.run(q).rows for q in queries] == expected
    assert len({str(r) for r in expected}) > 8  # the queries tell partitions apart


def test_scope_reads_batch_date_bounds_conservatively():
    from explore.sql_scope import ALL, DateSpan, scope

    tables = ["events", "perf_timings"]
    d = dt.date.fromisoformat
    assert scope("select 1", tables) == {}
    assert scope("select * from events where batch_date = '2026-11-01'", tables) == \
        {"events": DateSpan(d("2026-11-01"), d("2026-11-01"))}
    assert scope("select * from Events e where e.batch_date > date '2026-11-01' "
                 "and batch_date <= '2026-11-09'::date", tables) == \
        {"events": DateSpan(d("2026-11-02"), d("2026-11-09"))}
    assert scope("select * from events where batch_date in ('2026-11-03', '2026-11-01')", tables) == \
        {"events": DateSpan(d("2026-11-01"), d("2026-11-03"))}
    for unsure in ("select * from events where batch_date = '2026-11-01' or true",
                   "select * from events where batch_date >= '2026-11-01 10:00'",
                   "select * from events where batch_date = ?",
                   "select * from events tablesample 10% where batch_date = '2026-11-01'",
                   "select * from events e where events.batch_date = '2026-11-01'",
                   "select * from events e join perf_timings p using (event_id) "
                   "where e.batch_date = '2026-11-01'"):
        assert all(span == ALL for span in scope(unsure, tables).values()), unsure
        assert "events" in scope(unsure, tables), unsure
    assert scope("select * from perf_timings union all select * from perf_timings "
                 "where batch_date = '2026-11-01'", tables) == {"perf_timings": ALL}
    assert scope("selec 1", tables) == {"events": ALL, "perf_timings": ALL}
    assert DateSpan(d("2026-11-02"), d("2026-11-01")).empty and ALL.covers(DateSpan(d("2026-11-01")))
    assert not DateSpan(d("2026-11-01")).covers(ALL)
