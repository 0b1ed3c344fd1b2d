"""Differential tests: the columnar engine against the mrjob engine (the reference validator
on mrjob's inline runner), line for line.

Both engines ingest the same raw folder into separate lakes; the manifests must be equal
(apart from the engine recorded in ``job``). A manifest names every data and quarantine file
by the SHA-256 of its bytes and carries the row, duplicate, reason and per-file counts, so
equal manifests mean equal rows (``properties`` text included), equal quarantine records and
equal counts. The row and quarantine files are compared as well, for a readable failure.
"""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contract import Limits
from ingest.lake import BatchFailed
from ingest.reader import MAX_LINE_BYTES
from ingest.run import IngestOptions, ingest
from tests.hostile_corpus import add_hostile_batch
from tests.test_ingest import line, write

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)
LENIENT = IngestOptions(runner="inline", max_quarantine_share=1.0)


def lake_files(lake: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(lake.rglob("*")):
        if path.is_file() and path.name != "_manifest.json":
            data = path.read_bytes()
            out[str(path.relative_to(lake))] = gzip.decompress(data) if path.suffix == ".gz" else data
    return out


def _manifests(manifests) -> dict:
    out = {}
    for batch, tables in manifests.items():
        for table, m in tables.items():
            doc = m.to_dict()
            doc["job"] = {k: v for k, v in doc["job"].items() if k not in ("engine", "runner")}
            out[f"{table} {batch}"] = doc
    return out


def _run(raw: Path, lake: Path, dates, options: IngestOptions):
    try:
        return _manifests(ingest(raw, lake, dates, options))
    except BatchFailed as exc:
        return f"failed: {exc}"


def assert_engines_agree(raw: Path, tmp: Path, dates=(D1,), options: IngestOptions = LENIENT,
                         formats=("csv.gz",)) -> dict:
    for fmt in formats:
        results = {}
        for engine in ("mrjob", "columnar"):
            opts = IngestOptions(**{**vars(options), "engine": engine, "lake_format": fmt})
            lake = tmp / f"lake-{engine}-{fmt}"
            results[engine] = (_run(raw, lake, list(dates), opts), lake_files(lake))
        (m_ref, f_ref), (m_col, f_col) = results["mrjob"], results["columnar"]
        assert f_col.keys() == f_ref.keys()
        for name in f_ref:
            if f_ref[name] != f_col[name] and not name.endswith(".parquet"):
                ref, col = f_ref[name].splitlines(), f_col[name].splitlines()
                diff = [(i, r, c) for i, (r, c) in enumerate(zip(ref, col)) if r != c][:3]
                pytest.fail(f"{name}: {len(ref)} vs {len(col)} lines; first differences {diff}")
        assert m_col == m_ref
    return m_ref


def _ev(event_id: str = "h", **fields) -> dict:
    return {"event_id": event_id, "event": "login", "ts": "2026-11-01T10:00:00Z",
            "user_id": "u1", **fields}


def _raw(text: str) -> bytes:
    return text.encode()


# Lines where a lenient JSON reader, a naive timestamp parser or a careless row builder would
# differ from the reference; each is ingested by both engines.
LENIENT_JSON = [
    b'{"event_id":"tc1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1",}',
    b'{"event_id":"tc2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":[1,2,]}}',
    b'{"event_id":"nan1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":NaN}}',
    b'{"event_id":"inf1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":-Infinity}}',
    b'{"event_id":"inf2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":inf}}',
    b'{"event_id":"exp1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":1e400}}',
    b'{"event_id":"exp2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":1E2,"b":-2.5e-3}}',
    b'{"event_id":"big1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":12345678901234567890}}',
    b'{"event_id":"big2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":123456789012345678901234567890}}',
    b'{"event_id":"big3","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":-9223372036854775809}}',
    b'{"event_id":"big4","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":0.12345678901234567890}}',
    b'{"event_id":"dup1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","user_id":7}',
    b'{"event_id":"dup2","event":"login","event":"Bad","ts":"2026-11-01T10:00:00Z","user_id":"u1"}',
    b'{"event_id":"dup3","event":"perf_timing","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"action":"a","duration_ms":-1,"duration_ms":3}}',
    b'{"event_id":"dup4","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"x":{"b":1,"b":2},"a":1}}',
    b'{"event_id":"zero","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":-0,"b":-0.0,"c":0.0,"d":1.50,"e":100.0}}',
    b'{"event_id":"esc1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":"\\u00e9\\/\\t\\u001f\\ud83d\\ude00"}}',
    b'{"event_id":"esc2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":"\\ud800"}}',
    b'{"event_id":"esc3","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u\\u0000"}',
    b'{"event_id":"esc4","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u\\u0007"}',
    b'{"event_id":"ws1" , "event" : "login",\t"ts":"2026-11-01T10:00:00Z","user_id":"u1"}  ',
    b'  {"event_id":"ws2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1"}',
    b'\xef\xbb\xbf{"event_id":"bom1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1"}',
    b'{"event_id":"c1","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1"}/*c*/',
    b'{"event_id":"two","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1"}{"a":1}',
    b"{'event_id':'sq'}",
    b'{"event_id":"lz","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":01}}',
    b'{"event_id":"ctl","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1\x01"}',
    b'{"event_id":"utf","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"\xc3\x28"}',
    b'{"event_id":"utf2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"\xed\xa0\x80"}',
    b'{"event_id":"nonascii","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"\xc3\xa9\xe2\x82\xac"}',
    b'{"event_id":"esck","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","\\u0075ser_id":7}',
    b'{"event_id":"esck2","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","a\\"b":7}',
    b'{"event_id":"valname","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"event_id"}',
    b'{"event_id":"nest","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"user_id":5}}',
    b'{"event_id":"dupp","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1","properties":{"a":1},'
    b'"properties":{"b":2}}',
    b"null", b"true", b"1", b'"s"', b"[]", b"{}", b"", b"   ", b"\t", b"\x0c",
]
TIMESTAMPS = [
    "2026-11-01T10:00:00Z", "2026-11-01T10:00:00z", "2026-11-01 10:00:00", "2026-11-01T10:00",
    "2026-11-01T10:00Z", "2026-11-01T10:00:00.1", "2026-11-01T10:00:00,123456789+01:00",
    "2026-11-01T10:00:00.1234567-0530", "2026-11-01T10:00:00+05", "2026-11-01T10:00:00+14:00",
    "2026-11-01T10:00:00+14:01", "2026-11-01T10:00:00-12:00", "2026-11-01T10:00:00-12:30",
    "2026-11-01T10:00:00+05:60", "2026-11-01T10:00:00+05:3", "2026-11-01T24:00:00",
    "2026-11-01T23:60:00", "2026-11-01T23:59:60", "2026-02-29T10:00:00", "2024-02-29T10:00:00Z",
    "2026-13-01T10:00:00", "0000-01-01T00:00:00", "9999-12-31T23:59:59-05:00",
    " 2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z ", "2026-11-01T10:00:00\u00a0",
    "\u0662\u0660\u0662\u0666-11-01T10:00:00", "2026-11-01t10:00:00", "2026-11-01T10:00:00.",
    "2026-11-01T10:00:00.Z", "2026-11-03T00:00:00Z", "2026-11-02T23:59:59.999999Z",
    "2026-11-03T00:00:00+01:00", "2026-10-02T00:00:00Z", "2026-10-01T23:59:59.999999Z",
    "2026-10-02T00:00:00+00:01", "2026-10-01T23:59:59-00:01", "1969-12-31T23:59:59Z",
    "2026-11-01T10:00:00.000000001Z", "2026-11-01T10:00:00+0000", "2026-11-01T10:00:00-00",
    "", "x", 20261101, None, ["2026-11-01T10:00:00Z"], {"ts": 1}, True,
]
FIELD_VALUES = [None, "", "a", "A" * 256, "A" * 257, "\u00e9" * 128, "\u00e9" * 129, "a\tb",
                "a\x7fb", 7, 1.5, True, [], {}, "web", "ios", "WEB", "DE", "de", "DEU",
                "\u20ac" * 86, "\u20ac" * 85, "x" * 128, "x" * 129]


def _field_lines() -> list[bytes]:
    out = []
    for i, ts in enumerate(TIMESTAMPS):
        out.append(orjson.dumps(_ev(f"ts{i}", ts=ts)))
    names = ["event_id", "event", "user_id", "anonymous_id", "workspace_id", "session_id",
             "platform", "app_version", "country", "properties"]
    for name in names:
        for j, value in enumerate(FIELD_VALUES):
            ev = _ev(f"f-{name}-{j}")
            ev[name] = value
            out.append(orjson.dumps(ev))
        ev = _ev(f"m-{name}")
        ev.pop(name, None)
        out.append(orjson.dumps(ev))
    out.append(orjson.dumps({"event_id": "noid", "event": "login", "ts": "2026-11-01T10:00:00Z"}))
    out.append(orjson.dumps(_ev("anon", user_id=None, anonymous_id="a1")))
    out.append(orjson.dumps(_ev("emptyids", user_id="", anonymous_id="")))
    return out


PROPERTY_CASES = {
    "experiment_exposure": [{"experiment": "e", "variant": "v"}, {"experiment": "e"},
                            {"experiment": 1, "variant": "v"}, {"experiment": "e" * 257, "variant": "v"},
                            {"experiment": "e", "variant": None},
                            {"experiment": "e", "variant": "v", "x": [1, {"b": 2, "a": 1}]}],
    "perf_timing": [{"action": "a", "duration_ms": 5}, {"action": "a", "duration_ms": 5.5},
                    {"action": "a", "duration_ms": -0.0}, {"action": "a", "duration_ms": -1},
                    {"action": "a", "duration_ms": True}, {"action": "a", "duration_ms": "5"},
                    {"duration_ms": 5}, {"action": "a"}, {"action": "\u00e9" * 200, "duration_ms": 1}],
    "subscription_started": [{"mrr_cents": 100}, {"mrr_cents": 100, "currency": "USD"},
                             {"mrr_cents": 100, "currency": "EUR"}, {"mrr_cents": 100, "currency": 840},
                             {"mrr_cents": 100.0}, {"mrr_cents": -1}, {"mrr_cents": 10**15},
                             {"mrr_cents": 10**15 + 1}, {"mrr_cents": False}, {"mrr_cents": "1"}, {}],
}


def property_lines() -> list[bytes]:
    out = []
    for event, cases in PROPERTY_CASES.items():
        for i, props in enumerate(cases):
            for ws in ("w1", None):
                out.append(orjson.dumps(_ev(f"p-{event}-{i}-{ws}", event=event,
                                            workspace_id=ws, properties=props)))
        out.append(orjson.dumps(_ev(f"p-{event}-none", event=event, workspace_id="w1")))
        out.append(orjson.dumps(_ev(f"p-{event}-null", event=event, workspace_id="w1",
                                    properties=None)))
    return out


def test_hostile_corpus_engines_agree(tmp_path):
    raw = tmp_path / "raw"
    add_hostile_batch(raw, D1)
    write(raw, D1, "lenient.jsonl", LENIENT_JSON)
    write(raw, D1, "fields.jsonl", _field_lines())
    write(raw, D1, "props.jsonl.gz", property_lines(), gz=True)
    write(raw, D1, "copies.jsonl", _field_lines()[:40] + property_lines()[:10])  # duplicates
    huge = b'{"event_id":"huge","pad":"' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'
    exact = (b'{"event_id":"exact","event":"login","ts":"2026-11-01T10:00:00Z","user_id":"u1",'
             b'"properties":{"p":"')
    exact += b"y" * (MAX_LINE_BYTES - len(exact) - 3) + b'"}}'
    write(raw, D1, "huge.jsonl", [huge, exact, line("after-huge")])
    folder = raw / D1.isoformat()
    (folder / "crlf.jsonl").write_bytes(line("cr1").encode() + b"\r\n" + line("cr2").encode()
                                        + b"\r\r\n\r\n" + line("cr3").encode())
    good = gzip.compress(b"".join(line(f"g{i}").encode() + b"\n" for i in range(50)), mtime=0)
    cut = gzip.compress(b"".join(line(f"k{i}").encode() + b"\n" for i in range(300)), mtime=0)
    (folder / "cut.jsonl.gz").write_bytes(good + cut[: len(cut) // 2])
    flipped = bytearray(cut)
    flipped[len(flipped) // 2] ^= 0xFF
    (folder / "flipped.jsonl.gz").write_bytes(bytes(flipped))
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "nonl.jsonl").write_bytes(line("nonl").encode())
    write(raw, D2, "a.jsonl", [line("d2", ts="2026-11-02T01:00:00Z"), line("h")])
    for options in (LENIENT, IngestOptions(runner="inline", max_quarantine_share=1.0,
                                           limits=Limits(max_late_days=None, max_future_days=0))):
        m = assert_engines_agree(raw, tmp_path / str(options.limits.max_future_days), (D1, D2),
                                 options, formats=("csv.gz", "parquet"))
    assert m["events 2026-11-01"]["rows"] > 100


def test_quarantine_threshold_fails_alike(tmp_path):
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("ok"), "{bad", "{bad"])
    strict = IngestOptions(runner="inline", max_quarantine_share=0.1)
    assert_engines_agree(raw, tmp_path, (D1,), strict)


# Hypothesis: random events near the contract's edges, then random damage to their text.
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8)
_text = st.sampled_from(FIELD_VALUES) | st.text(max_size=12) | st.none()


@st.composite
def _timestamp(draw) -> object:
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(TIMESTAMPS))
    day = draw(st.sampled_from(["2026-11-01", "2026-10-02", "2026-10-01", "2026-11-02",
                                "2026-11-03", "2026-02-29", "2024-02-29"]))
    clock = draw(st.sampled_from(["00:00", "23:59", "12:30", "24:00", "10:60"]))
    sec = draw(st.sampled_from(["", ":00", ":59", ":60", ":5"]))
    frac = draw(st.sampled_from(["", ".1", ",123456", ".1234567891", "."])) if sec else ""
    off = draw(st.sampled_from(["", "Z", "z", "+01:00", "-0530", "+14", "-12:00", "+14:30",
                                "+05:75", "-00:01", "+0"]))
    sep = draw(st.sampled_from(["T", " ", "t"]))
    return f"{day}{sep}{clock}{sec}{frac}{off}"


@st.composite
def _event(draw) -> dict:
    event = draw(st.sampled_from([*PROPERTY_CASES, "login", "page_view", "subscription_changed",
                                  "Page View", ""]) | st.from_regex(r"[a-z_]{0,3}", fullmatch=True))
    ev = {"event_id": draw(st.sampled_from(["e1", "e2", "e3", ""]) | st.text(max_size=6)
                           | st.integers(0, 9)),
          "event": event, "ts": draw(_timestamp())}
    for name in ("user_id", "anonymous_id", "workspace_id", "session_id", "platform",
                 "app_version", "country"):
        if draw(st.booleans()):
            ev[name] = draw(_text)
    if draw(st.integers(0, 4)):
        ev["user_id"] = draw(st.sampled_from(["u1", "u2", "\u00e9"]))
    cases = PROPERTY_CASES.get(event, [])
    props = draw(st.sampled_from(cases) if cases and draw(st.booleans())
                 else st.dictionaries(st.text(max_size=5), _json, max_size=4))
    if draw(st.booleans()):
        ev["properties"] = {**props, **draw(st.dictionaries(st.text(max_size=3), _json, max_size=2))}
    elif draw(st.booleans()):
        ev["properties"] = draw(_json)
    return ev


_DAMAGE = [
    lambda b: b[:-1] + b",}", lambda b: b.replace(b":", b":NaN,\"x\":", 1)[:0] + b,
    lambda b: b.replace(b'"user_id":', b'"user_id":1,"user_id":', 1),
    lambda b: b.replace(b"}", b',"z":1e5}', 1), lambda b: b.replace(b"}", b',"z":Infinity}', 1),
    lambda b: b.replace(b"}", b',"z":99999999999999999999}', 1), lambda b: b[: len(b) // 2],
    lambda b: b + b" ", lambda b: b"\xef\xbb\xbf" + b, lambda b: b.replace(b"e", b"\xff", 1),
    lambda b: b.replace(b'"u', b'"\\u0000', 1), lambda b: b.replace(b"{", b"[", 1),
    lambda b: b.replace(b'"ts":', b'"ts":"x","ts":', 1), lambda b: b.replace(b",", b",\t", 2),
]


@st.composite
def _raw_line(draw) -> bytes:
    data = orjson.dumps(draw(_event()))
    if draw(st.integers(0, 5)) == 0:
        data = draw(st.sampled_from(_DAMAGE))(data)
    return data


# make test runs a few dozen generated corpora; make soak (part of make bench) thousands
SOAK_EXAMPLES = int(os.environ.get("PULSE_DIFF_EXAMPLES") or 60)


@settings(max_examples=SOAK_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(lines=st.lists(_raw_line(), min_size=20, max_size=50), copies=st.integers(0, 10))
def test_generated_lines_engines_agree(tmp_path_factory, lines, copies):
    tmp = tmp_path_factory.mktemp("gen")
    raw = tmp / "raw"
    write(raw, D1, "a.jsonl", lines[: len(lines) // 2])
    write(raw, D1, "b.jsonl.gz", lines[len(lines) // 2:] + lines[:copies], gz=True)
    assert_engines_agree(raw, tmp, (D1,))


def _reader_cases(folder: Path) -> list[Path]:
    big = b"x" * (MAX_LINE_BYTES + 1)
    cases = {
        "edges.jsonl": b"a\r\n\r\n" + big + b"\n" + big[:-1] + b"\n" + big[:-1] + b"\r\n\xff\n\xc3",
        "long-tail.jsonl": b"a\n" + big + big,
        "exact-tail.jsonl": b"a\n" + big[:-1],
        "crlf.jsonl": b"a\r\r\nb\r",
        "mixed.jsonl": b"a\r\nb\n\r\n\nc\rd\n\xc3\xa9\r\n" * 50 + b"\r\n\r",
        "empty.jsonl": b"",
        "nl.jsonl": b"\n\n",
    }
    cut = gzip.compress(b"".join(b"line %d\n" % i for i in range(20_000)), mtime=0)
    cases["cut.jsonl.gz"] = gzip.compress(b"ok\n" * 10, mtime=0) + cut[: len(cut) // 2]
    cases["plain-gz.jsonl.gz"] = b"not gzip\nat all"
    paths = []
    for name, data in cases.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


@pytest.mark.parametrize("block", [3, 4093, 1 << 20, 16 << 20])
def test_block_reader_reads_what_read_lines_reads(tmp_path, monkeypatch, block):
    from ingest.engines import columnar
    from ingest.reader import FileStats, read_lines

    monkeypatch.setattr(columnar, "_BLOCK", block)
    for path in _reader_cases(tmp_path):
        if block < 100 and path.stat().st_size > 10_000:  # tiny blocks: small files only
            continue
        ref_stats, stats = FileStats(path=path.name), FileStats(path=path.name)
        reference = list(read_lines(path, ref_stats))
        chunks = list(columnar.read_chunks(str(path), stats))
        assert [c.line(i) for c in chunks for i in range(len(c))] == reference, path.name
        assert stats == ref_stats, path.name


def test_file_and_row_group_splits_agree(tmp_path, monkeypatch):
    """Rows are handed over one by one (mrjob) or in bulk (columnar): the same files, split at
    the same rows, with the same row groups."""
    import ingest.lake.publisher as publisher
    from ingest.lake.writers import GzipLines, ParquetRows

    monkeypatch.setattr(publisher, "MAX_ROWS_PER_FILE", 7)
    monkeypatch.setattr(ParquetRows, "ROW_GROUP", 3)
    monkeypatch.setattr(GzipLines, "BUFFER_LINES", 2)
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line(f"s{i}") for i in range(30)] + property_lines())
    m = assert_engines_agree(raw, tmp_path, (D1,), formats=("csv.gz", "parquet"))
    assert len(m["events 2026-11-01"]["files"]) > 3


def test_arrow_columns_are_written_as_csv_field_writes_rows(tmp_path):
    """The columnar engine hands a csv.gz writer Arrow columns; pyarrow's CSV writer must
    give csv_field's bytes for every string, boolean and integer, and refuse doubles."""
    import pyarrow as pa

    from ingest.lake.writers import GzipLines

    rows = [("a\nb", True, 1), ("c\r\nd", False, -2), ('"q"', None, None), ("", True, 2**62),
            (None, False, 0), ("\u00e9,x", None, 5), (" lead\t", True, -(2**63))]
    columns = list(zip(*rows, strict=True))
    data = pa.table({"s": pa.array(columns[0], pa.string()), "b": pa.array(columns[1]),
                     "i": pa.array(columns[2], pa.int64())})
    (tmp_path / "a").mkdir(), (tmp_path / "p").mkdir()
    arrow = GzipLines(tmp_path / "a", "part", ".csv.gz", "h\n")
    python = GzipLines(tmp_path / "p", "part", ".csv.gz", "h\n")
    arrow.add_arrow(data.slice(0, 3))
    arrow.add_arrow(data.slice(3))
    python.add_many([list(r) for r in rows])
    a, p = arrow.close(), python.close()
    assert gzip.decompress(Path(a.local_path).read_bytes()) == gzip.decompress(
        Path(p.local_path).read_bytes())
    assert a.file == p.file and a.file.rows == len(rows)
    with pytest.raises(ValueError, match="double"):
        GzipLines(tmp_path, "d", ".csv.gz").add_arrow(pa.table({"d": pa.array([1.5])}))
