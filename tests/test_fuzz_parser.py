"""Property-based tests: no raw input crashes ingest, and totals always reconcile."""

import gzip
from datetime import date

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contract import REASONS, Limits, Rejection
from ingest.formats.jsonl import parse_jsonl
from ingest.jobs.logic import run_in_memory
from ingest.lake import Publisher, open_lake
from ingest.reader import Line

BATCH = date(2026, 11, 25)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
json_values = st.recursive(
    st.none() | st.booleans() | ints | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children,
                                                                      max_size=3),
    max_leaves=8)
fields = st.fixed_dictionaries({}, optional={
    "event_id": st.one_of(st.text(max_size=8), json_values),
    "event": st.sampled_from(["login", "perf_timing", "experiment_exposure", "Bad!"]) | json_values,
    "ts": st.sampled_from(["2026-11-25T10:00:00Z", "2026-11-25T10:00:00", "2026-11-30T00:00:00Z",
                           "2026-11-25T10:00:00+14:00", "x"]) | json_values,
    "user_id": st.sampled_from(["u1", None]) | json_values,
    "anonymous_id": st.sampled_from(["a1", None]) | json_values,
    "platform": st.sampled_from(["web", "fridge", None]) | json_values,
    "country": st.sampled_from(["DE", "de", None]) | json_values,
    "properties": st.fixed_dictionaries({}, optional={
        "action": st.text(max_size=5) | json_values,
        "duration_ms": st.floats(allow_nan=False, allow_infinity=False) | ints | json_values,
        "experiment": st.text(max_size=5), "variant": st.text(max_size=5)}) | json_values,
})
lines = st.one_of(
    st.binary(max_size=200),
    fields.map(lambda d: orjson.dumps(d)),
    json_values.map(lambda v: orjson.dumps(v)),
    fields.map(lambda d: orjson.dumps(d)[: len(orjson.dumps(d)) // 2]),
).filter(lambda b: b"\n" not in b)


@settings(max_examples=400, deadline=None)
@given(lines)
def test_parser_never_raises_and_reasons_are_known(raw):
    result = parse_jsonl(Line(1, raw.rstrip(b"\r")), BATCH, Limits())
    if isinstance(result, Rejection):
        assert result.reason in REASONS
    else:
        row, _ = result
        assert len(row) == 12 and isinstance(row[0], str) and row[0]
        assert not any("\x00" in s for s in strings(orjson.loads(row[10]))), row[10]


def strings(value):
    """Every key and string value in a decoded JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(lines, max_size=15), min_size=1, max_size=3), st.booleans(), st.data())
def test_totals_always_reconcile(tmp_path_factory, files, compress, data):
    root = tmp_path_factory.mktemp("fuzz")
    folder = root / "raw" / BATCH.isoformat()
    folder.mkdir(parents=True)
    inputs = []
    for i, content in enumerate(files):
        # duplicate some lines on purpose so dedup is exercised
        content = content + data.draw(st.lists(st.sampled_from(content), max_size=3)) if content else content
        body = b"".join(x + b"\n" for x in content)
        name = f"f{i}.jsonl" + (".gz" if compress else "")
        path = folder / name
        path.write_bytes(gzip.compress(body, mtime=0) if compress else body)
        inputs.append((str(path), str(path)))
    publisher = Publisher(open_lake(root / "lake"), [BATCH.isoformat()], max_quarantine_share=1.0)
    publisher.consume(run_in_memory(inputs))
    manifest = publisher.publish()[BATCH.isoformat()]["events"]
    total_lines = sum(len(c) for c in files)
    assert manifest.reconciled
    assert manifest.input.lines >= total_lines
    assert manifest.rows + manifest.quarantined_total + manifest.duplicates_in_batch == \
        manifest.input.lines
