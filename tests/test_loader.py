"""Loading lake partitions into DuckDB and PostgreSQL: idempotent, audited, all or nothing."""

from dataclasses import replace
from datetime import date

import orjson
import pytest

from ingest.lake import open_lake
from ingest.load.loader import LoadError, load_batches
from ingest.run import IngestOptions, ingest
from tests.helpers import fetch
from tests.test_ingest import line, write

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)
INLINE = IngestOptions(runner="inline", max_quarantine_share=0.9)


def test_load_is_idempotent_and_audited(tmp_path, any_target):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1", properties={"path": "/a,\"b\""}),
                               line("e2", user_id=None, anonymous_id="x")])
    write(raw, D2, "a.jsonl", [line("e3", ts="2026-11-02T01:00:00Z")])
    ingest(raw, lake, [D1, D2], INLINE)
    first = load_batches(any_target, open_lake(lake), ["2026-11-01", "2026-11-02"], ["events"])
    assert [(r.status, r.rows, r.load_id) for r in first] == [("loaded", 2, 1), ("loaded", 1, 2)]
    again = load_batches(any_target, open_lake(lake), ["2026-11-01", "2026-11-02"], ["events"])
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    got = fetch(any_target, "select event_id, user_id, anonymous_id, properties, _load_id, "
                            "cast(event_at as varchar) from raw.events order by event_id")
    assert [g[:5] for g in got] == [("e1", "u1", None, '{"path":"/a,\\"b\\""}', 1),
                                    ("e2", None, "x", "{}", 1), ("e3", "u1", None, "{}", 2)]
    assert orjson.loads(got[0][3]) == {"path": '/a,"b"'}
    assert got[2][5].startswith("2026-11-02 01:00:00")
    audit = fetch(any_target, "select status, count(*) from pulse_meta.load_audit "
                              "group by status order by status")
    assert audit == [("loaded", 2), ("unchanged", 2)]


def test_changed_partition_replaces_its_batch_only(tmp_path, any_target):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    write(raw, D2, "a.jsonl", [line("e3", ts="2026-11-02T01:00:00Z")])
    ingest(raw, lake, [D1, D2], INLINE)
    load_batches(any_target, open_lake(lake), ["2026-11-01", "2026-11-02"], ["events"])
    write(raw, D1, "a.jsonl", [line("e9")])
    ingest(raw, lake, [D1], INLINE)
    (result,) = load_batches(any_target, open_lake(lake), ["2026-11-01"], ["events"])
    assert (result.status, result.load_id) == ("loaded", 3)
    assert fetch(any_target, "select event_id, _load_id from raw.events order by event_id") == [
        ("e3", 2), ("e9", 3)]


def test_unpublished_or_failed_partitions_are_refused(tmp_path, any_target):
    with pytest.raises(LoadError, match="not published"):
        load_batches(any_target, open_lake(tmp_path / "lake"), ["2026-11-01"], ["events"])
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", ["x", "y", line("e1")])
    with pytest.raises(Exception, match="quarantine share"):
        ingest(raw, lake, [D1], IngestOptions(runner="inline", max_quarantine_share=0.1))
    with pytest.raises(LoadError, match="failed ingest"):
        load_batches(any_target, open_lake(lake), ["2026-11-01"], ["events"])


def test_a_failed_copy_leaves_the_previous_rows(tmp_path, any_target):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    manifests = ingest(raw, lake, [D1], INLINE)
    load_batches(any_target, open_lake(lake), ["2026-11-01"], ["events"])
    write(raw, D1, "a.jsonl", [line("e7"), line("e8")])
    manifests = ingest(raw, lake, [D1], INLINE)
    manifest_path = lake / "events" / "batch_date=2026-11-01" / "_manifest.json"
    broken = replace(manifests["2026-11-01"]["events"], rows=5)  # lie about the row count
    manifest_path.write_bytes(broken.to_json())
    with pytest.raises(LoadError, match="staged 2 rows"):
        load_batches(any_target, open_lake(lake), ["2026-11-01"], ["events"])
    assert fetch(any_target, "select event_id from raw.events order by 1") == [("e1",), ("e2",)]


def test_parquet_lake_loads_the_same_rows_as_csv(tmp_path, any_target):
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("e1", properties={"q": 'a,"b"\n'}, country="DE"),
                               line("e2", user_id=None, anonymous_id="", workspace_id="w"),
                               line("e3", ts="2026-11-01T10:00:00")])
    csv_m = ingest(raw, tmp_path / "csv", [D1], INLINE)["2026-11-01"]["events"]
    pq_m = ingest(raw, tmp_path / "pq", [D1], IngestOptions(runner="inline", lake_format="parquet",
                                                          max_quarantine_share=0.9))
    pq_m = pq_m["2026-11-01"]["events"]
    assert pq_m.format == "parquet" and pq_m.files[0].name.endswith(".parquet")
    assert pq_m.rows == csv_m.rows == 2  # e2 has an empty anonymous_id and no user_id
    sql = "select * from raw.events order by event_id"
    load_batches(any_target, open_lake(tmp_path / "csv"), ["2026-11-01"], ["events"])
    from_csv = fetch(any_target, sql)
    load_batches(any_target, open_lake(tmp_path / "pq"), ["2026-11-01"], ["events"])
    from_parquet = fetch(any_target, sql)
    assert [r[:-1] for r in from_parquet] == [r[:-1] for r in from_csv]  # all but _load_id
