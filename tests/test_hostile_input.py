"""Hostile raw input through the real job: every class gets a reason, nothing is lost,
nothing crashes the batch, and the counts reconcile, on each engine."""

import gzip
import zlib
from datetime import date

import orjson

from ingest.reader import MAX_LINE_BYTES
from ingest.run import IngestOptions, ingest
from tests.helpers import ingest_options
from tests.test_ingest import line, quarantine, rows, write

D1 = date(2026, 11, 1)


def lenient(engine: str) -> IngestOptions:
    """Never fail the batch: these tests look at what each hostile line became."""
    return ingest_options(engine, max_quarantine_share=1.0)


def run(tmp_path, engine: str, files: dict[str, list], gz: set[str] = frozenset()):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    for name, lines in files.items():
        write(raw, D1, name, lines, gz=name in gz)
    m = ingest(raw, lake, [D1], lenient(engine))["2026-11-01"]["events"]
    assert m.reconciled, m
    return m, lake


def test_every_hostile_line_class_has_its_reason(tmp_path, engine):
    hostile = [
        b'{"event_id": "u1", "event": "login", "ts": "2026-11-01T10:00:00Z", "user_id": "\xff\xfe"}',
        b"{broken json",
        b"[1, 2, 3]",
        b'"just a string"',
        line("m1").replace('"event":"login",', "").encode(),
        line("t1", user_id=7).encode(),
        line("t2", event="perf_timing", properties={"action": "a", "duration_ms": "12"}).encode(),
        line("n1", event="Page View").encode(),
        line("ts1", ts="25/11/2026 10:00").encode(),
        line("ts2", ts="2026-11-05T00:00:00Z").encode(),
        line("ts3", ts="2026-08-01T00:00:00Z").encode(),
        line("x1", event="experiment_exposure", properties={"experiment": "e"}).encode(),
        line("p1", event="perf_timing", properties={"duration_ms": 5}).encode(),
        b"   ",
        b'{"event_id": "big", "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}',
        line("ok1").encode(),
        line("ok1").encode(),  # duplicate inside the batch
        line("noff", ts="2026-11-01T10:00:00").encode(),  # no offset: kept as UTC, counted
    ]
    m, lake = run(tmp_path, engine, {"a.jsonl": hostile})
    assert m.quarantined == {
        "blank_line": 1, "invalid_event_name": 1, "invalid_json": 1, "invalid_property_type": 1,
        "invalid_timestamp": 1, "invalid_utf8": 1, "line_too_long": 1,
        "missing_required_field": 1, "missing_required_property": 2, "not_an_object": 2,
        "timestamp_in_future": 1, "timestamp_too_old": 1, "wrong_type": 1}
    assert (m.rows, m.duplicates_in_batch, m.input.ts_without_offset) == (2, 1, 1)
    q = quarantine(lake, D1)
    assert {r["source_line"] for r in q} == set(range(1, 16))
    big = next(r for r in q if r["reason"] == "line_too_long")
    assert big["raw_bytes"] <= 1024 and big["source_file"] == "2026-11-01/a.jsonl"
    bad = next(r for r in q if r["reason"] == "invalid_utf8")
    assert "\\xff" in bad["raw"]


def test_empty_file_and_corrupt_gzip_member(tmp_path, engine):
    good = gzip.compress(b"".join(line(f"g{i}").encode() + b"\n" for i in range(100)), mtime=0)
    second = bytearray(gzip.compress(b"".join(line(f"h{i}").encode() + b"\n" for i in range(100)),
                                     mtime=0))
    second[len(second) // 2] ^= 0xFF  # flip bits inside the second member's deflate stream
    raw = tmp_path / "raw" / D1.isoformat()
    raw.mkdir(parents=True)
    (raw / "multi.jsonl.gz").write_bytes(good + bytes(second))
    (raw / "empty.jsonl").write_bytes(b"")
    (raw / "empty.jsonl.gz").write_bytes(gzip.compress(b"", mtime=0))
    m = ingest(tmp_path / "raw", tmp_path / "lake", [D1], lenient(engine))["2026-11-01"]["events"]
    assert m.reconciled and m.input.damaged_files == 1
    files = {f.path: f for f in m.input.files}
    assert files["2026-11-01/empty.jsonl"].lines == 0
    assert files["2026-11-01/multi.jsonl.gz"].damaged
    assert "Error" in files["2026-11-01/multi.jsonl.gz"].error
    ids = {r[0] for r in rows(tmp_path / "lake", D1)}
    assert {f"g{i}" for i in range(100)} <= ids  # the first member survives whole


def test_windows_line_endings_and_missing_final_newline(tmp_path, engine):
    raw = tmp_path / "raw" / D1.isoformat()
    raw.mkdir(parents=True)
    (raw / "a.jsonl").write_bytes(line("c1").encode() + b"\r\n" + line("c2").encode())
    m = ingest(tmp_path / "raw", tmp_path / "lake", [D1], lenient(engine))["2026-11-01"]["events"]
    assert (m.rows, m.quarantined_total) == (2, 0)


def test_zlib_error_text_is_bounded(tmp_path, engine):
    raw = tmp_path / "raw" / D1.isoformat()
    raw.mkdir(parents=True)
    (raw / "junk.jsonl.gz").write_bytes(b"\x1f\x8b" + zlib.compress(b"x" * 1000))
    m = ingest(tmp_path / "raw", tmp_path / "lake", [D1], lenient(engine))["2026-11-01"]["events"]
    f = m.input.files[0]
    assert f.damaged and len(f.error) <= 500 and m.reconciled
    assert orjson.loads(m.to_json())  # manifest stays serialisable
