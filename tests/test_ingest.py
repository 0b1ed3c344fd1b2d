"""The ingest job end to end on small crafted batches, on each engine (the `engine` fixture;
mrjob on its inline runner)."""

import gzip
from datetime import date
from pathlib import Path

import orjson
import pytest

from ingest.contract import Limits
from ingest.lake import BatchFailed, open_lake, read_manifest
from ingest.run import IngestOptions, MissingInput, ingest
from tests.helpers import ingest_options

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)


def lenient(engine: str) -> IngestOptions:
    """The tests' usual options on `engine`: fail a batch only above 90% quarantined."""
    return ingest_options(engine, max_quarantine_share=0.9)


def line(event_id, ts="2026-11-01T10:00:00+02:00", event="login", **extra):
    return orjson.dumps({"event_id": event_id, "event": event, "ts": ts, "user_id": "u1",
                         **extra}).decode()


def write(raw: Path, batch: date, name: str, lines: list, gz: bool = False) -> Path:
    folder = raw / batch.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)
    path = folder / name
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def rows(lake: Path, batch: date) -> list[list[str]]:
    import csv
    import io

    manifest = read_manifest(open_lake(lake), "events", batch.isoformat())
    out = []
    for f in manifest.files:
        path = lake / "events" / f"batch_date={batch}" / f.name
        out.extend(list(csv.reader(io.StringIO(gzip.decompress(path.read_bytes()).decode())))[1:])
    return out


def quarantine(lake: Path, batch: date) -> list[dict]:
    manifest = read_manifest(open_lake(lake), "events", batch.isoformat())
    if not manifest.quarantine_file:
        return []
    path = lake / "events" / f"batch_date={batch}" / manifest.quarantine_file
    return [orjson.loads(x) for x in gzip.decompress(path.read_bytes()).splitlines()]


def test_dedup_quarantine_and_reconciliation(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2"), "{not json", line("e1"), ""])
    write(raw, D1, "b.jsonl.gz", [line("e3"), line("e2"), line("e4", event="Bad")], gz=True)
    write(raw, D2, "a.jsonl", [line("e1", ts="2026-11-01T23:00:00Z")])
    manifests = ingest(raw, lake, [D1, D2], lenient(engine))
    m = manifests["2026-11-01"]["events"]
    assert m.input.lines == 8
    assert (m.rows, m.duplicates_in_batch, m.quarantined_total) == (3, 2, 3)
    assert m.quarantined == {"blank_line": 1, "invalid_event_name": 1, "invalid_json": 1}
    assert m.reconciled and m.status == "ok"
    kept = {r[0]: (r[13], r[14]) for r in rows(lake, D1)}
    assert kept == {"e1": ("2026-11-01/a.jsonl", "1"), "e2": ("2026-11-01/a.jsonl", "2"),
                    "e3": ("2026-11-01/b.jsonl.gz", "1")}
    q = {(r["source_file"], r["source_line"], r["reason"]) for r in quarantine(lake, D1)}
    assert ("2026-11-01/a.jsonl", 3, "invalid_json") in q
    assert ("2026-11-01/b.jsonl.gz", 3, "invalid_event_name") in q
    # a copy of e1 in the next batch is kept in the lake; fct_events dedups across batches
    assert [r[0] for r in rows(lake, D2)] == ["e1"]


def test_rerun_republishes_identical_partitions(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line(f"e{i}") for i in range(50)] + ["junk"])
    first = ingest(raw, lake, [D1], lenient(engine))
    files_before = sorted(p.name for p in (lake / "events").rglob("*"))
    second = ingest(raw, lake, [D1], lenient(engine))
    assert first["2026-11-01"]["events"].checksum == second["2026-11-01"]["events"].checksum
    assert sorted(p.name for p in (lake / "events").rglob("*")) == files_before


def test_changed_input_replaces_the_partition_cleanly(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    ingest(raw, lake, [D1], lenient(engine))
    write(raw, D1, "a.jsonl", [line("e9")])
    ingest(raw, lake, [D1], lenient(engine))
    assert [r[0] for r in rows(lake, D1)] == ["e9"]
    names = {p.name for p in (lake / "events" / "batch_date=2026-11-01").iterdir()}
    assert len([n for n in names if n.startswith("part-")]) == 1


def test_empty_file_and_empty_batch_publish_zero_row_manifests(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    (raw / "2026-11-01").mkdir(parents=True)
    (raw / "2026-11-01" / "empty.jsonl").write_bytes(b"")
    m = ingest(raw, lake, [D1], lenient(engine))["2026-11-01"]["events"]
    assert (m.rows, m.input.lines, m.status) == (0, 0, "ok")
    assert m.input.files[0].path == "2026-11-01/empty.jsonl"


def test_missing_batch_folder_is_an_error_not_zeros(tmp_path):
    with pytest.raises(MissingInput):  # found before any engine runs
        ingest(tmp_path / "raw", tmp_path / "lake", [D1])
    assert not (tmp_path / "lake" / "events").exists()


def test_batch_over_quarantine_threshold_is_failed_and_says_why(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), "x", "y"])
    with pytest.raises(BatchFailed, match="quarantine share"):
        ingest(raw, lake, [D1], ingest_options(engine, max_quarantine_share=0.5))
    assert read_manifest(open_lake(lake), "events", "2026-11-01").status == "failed"


def test_damaged_gzip_keeps_lines_before_the_damage(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    path = write(raw, D1, "a.jsonl.gz", [line(f"e{i:04d}") for i in range(2000)], gz=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    m = ingest(raw, lake, [D1], lenient(engine))["2026-11-01"]["events"]
    assert m.input.damaged_files == 1 and m.reconciled
    assert 0 < m.rows < 2000
    assert m.quarantined.get("damaged_file_fragment", 0) <= 1


def test_history_import_lifts_the_late_limit(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "dump.jsonl", [line("old", ts="2025-01-01T00:00:00Z")])
    strict = ingest_options(engine, max_quarantine_share=1.0)
    assert ingest(raw, lake, [D1], strict)["2026-11-01"]["events"].quarantined == {"timestamp_too_old": 1}
    opts = ingest_options(engine, limits=Limits(max_late_days=None))
    assert ingest(raw, lake, [D1], opts)["2026-11-01"]["events"].rows == 1


def test_relative_raw_dir_and_unreadable_files_are_not_silent(tmp_path, monkeypatch, engine):
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    monkeypatch.chdir(tmp_path)
    m = ingest("raw", "lake", [D1], ingest_options(engine))["2026-11-01"]["events"]
    assert (m.rows, m.input.damaged_files) == (2, 0)
    from ingest.jobs.logic import map_file

    with pytest.raises(FileNotFoundError):
        list(map_file(str(raw / "2026-11-01" / "gone.jsonl"), "raw/2026-11-01/gone.jsonl"))
