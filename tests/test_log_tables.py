"""Analyst-declared log tables: one declaration gives the job step, lake partitions with
manifests (on each ingest engine), warehouse table + load, and a dbt source entry that
cannot drift.

Copy `test_my_table_end_to_end` when you add a table: change the declaration, the input
lines and the expected rows.
"""

from datetime import date, datetime

import orjson
import pytest

from ingest.lake import open_lake, read_manifest
from ingest.load.loader import load_batches
from ingest.run import IngestOptions, ingest
from ingest.schema import Column
from ingest.table_sources import SOURCES_PATH, sources_yaml
from ingest.tables import DeriveError, Event, LogTable, log_tables
from tests.helpers import fetch, ingest_options
from tests.test_ingest import line, write
from warehouse.dbt import project_dir

D1 = date(2026, 11, 1)


def perf(event_id, action="search", duration=120.5, **extra):
    return line(event_id, event="perf_timing", platform="ios", app_version="4.12.0",
                properties={"action": action, "duration_ms": duration}, **extra)


def test_shipped_tables_are_discovered():
    assert {"perf_timings", "experiment_exposures"} <= set(log_tables())


def test_my_table_end_to_end(tmp_path, any_target, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [perf("p1"), perf("p2", duration=3), perf("p1"), line("x1")])
    manifests = ingest(raw, lake, [D1], ingest_options(engine))
    m = manifests["2026-11-01"]["perf_timings"]
    assert (m.rows, m.duplicates_in_batch, m.derived_rows, m.reconciled) == (2, 1, 3, True)
    assert read_manifest(open_lake(lake), "perf_timings", "2026-11-01").checksum == m.checksum
    load_batches(any_target, open_lake(lake), ["2026-11-01"])
    got = fetch(any_target, "select event_id, action, duration_ms, platform, source_line "
                            "from raw.perf_timings order by event_id")
    assert got == [("p1", "search", 120.5, "ios", 1), ("p2", "search", 3.0, "ios", 2)]


def test_committed_dbt_source_matches_the_declarations():
    committed = (project_dir() / SOURCES_PATH).read_text()
    assert committed == sources_yaml(), "run `pulse tables sync` and commit the result"


def test_declaration_mistakes_are_caught_early():
    with pytest.raises(ValueError, match="reserved"):
        LogTable("t", "d", [Column("event_id", "string")], derive=lambda e: {})
    with pytest.raises(ValueError, match="must match"):
        LogTable("Bad Name", "d", [], derive=lambda e: {})
    table = LogTable("t", "d", [Column("n", "integer", False)], derive=lambda e: {"n": "7"})
    event = Event("e", "login", datetime(2026, 11, 1), *[None] * 7, {})
    with pytest.raises(DeriveError, match="not integer"):
        table.rows(event)


def test_failing_derive_is_counted_not_fatal(tmp_path, monkeypatch, engine):
    """A declaration that throws on some events: counted per table with samples, and the
    batch fails only above the quarantine-share threshold."""
    import ingest.tables as tables

    broken = LogTable("broken_example", "raises on odd durations", [Column("d", "double")],
                      events={"perf_timing"},
                      derive=lambda e: {"d": 1 / (e.properties["duration_ms"] % 2)})
    monkeypatch.setattr(tables, "log_tables", lambda: {**log_tables.__wrapped__(),
                                                       "broken_example": broken})
    import ingest.jobs.logic as logic
    import ingest.lake.publisher as publisher

    monkeypatch.setattr(logic, "log_tables", tables.log_tables)
    monkeypatch.setattr(publisher, "all_tables", lambda: {
        **tables.all_tables(), "broken_example": broken.schema})
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [perf(f"p{i}", duration=i) for i in range(40)])
    m = ingest(raw, lake, [D1], ingest_options(engine, max_quarantine_share=0.9))
    b = m["2026-11-01"]["broken_example"]
    assert (b.rows, b.derive_errors, b.status) == (20, 20, "ok")
    assert "ZeroDivisionError" in b.derive_error_samples[0]["error"]
    manifest = orjson.loads((lake / "broken_example/batch_date=2026-11-01/_manifest.json").read_bytes())
    assert manifest["derive_errors"] == 20


def test_vectorised_derive_gives_the_per_event_rows(tmp_path, monkeypatch):
    """A shipped declaration's `sql` (the columnar engine derives whole chunks in DuckDB)
    gives exactly the rows, files and manifests of its per-event `derive`."""
    import dataclasses

    import ingest.tables as tables
    from tests.test_ingest_engines import lake_files, property_lines

    shipped = log_tables()
    assert {name for name, t in shipped.items() if t.sql} >= {"perf_timings", "experiment_exposures"}
    raw = tmp_path / "raw"
    durations = [0, 1, 5, 0.1, 120.5, 1e-05, 123456789012.125, 9007199254740993, 2.5e-300]
    actions = ("search", 'q"u\\ote', "\u00e9\u4e2d")
    write(raw, D1, "a.jsonl", [perf(f"d{i}{j}", duration=d, action=a)
                               for i, d in enumerate(durations) for j, a in enumerate(actions)]
          + [line("x1", event="experiment_exposure", anonymous_id="a1", user_id=None,
                  properties={"experiment": "exp", "variant": "b", "extra": {"z": 1, "a": [2]}})]
          + [raw_line.decode() for raw_line in property_lines()])
    write(raw, D1, "b.jsonl", [perf("d10", duration=7), perf("d21", action="again")])
    results = {}
    for form in ("sql", "derive"):
        if form == "derive":
            plain = {name: dataclasses.replace(t, sql=None) for name, t in shipped.items()}
            monkeypatch.setattr(tables, "log_tables", lambda plain=plain: plain)
        for fmt in ("csv.gz", "parquet"):
            lake = tmp_path / f"lake-{form}-{fmt}"
            manifests = ingest(raw, lake, [D1], IngestOptions(max_quarantine_share=1.0,
                                                              lake_format=fmt))
            results[form, fmt] = ({t: m.to_dict() for t, m in manifests["2026-11-01"].items()},
                                  lake_files(lake))
    for fmt in ("csv.gz", "parquet"):
        assert results["sql", fmt] == results["derive", fmt]
    perf_manifest = results["sql", "csv.gz"][0]["perf_timings"]
    assert perf_manifest["rows"] > len(durations) * len(actions)  # the property cases add some
    assert (perf_manifest["duplicates_in_batch"], perf_manifest["derive_errors"]) == (2, 0)
