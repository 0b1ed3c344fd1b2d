"""The contract's storage limits: whatever ingest accepts, every warehouse can store, and no
single line (however deep, wide or odd) can stop the batch."""

import re
from datetime import date
from pathlib import Path

import orjson
import pytest

from ingest.contract import REASONS, Limits, Rejection
from ingest.formats.access_log import parse_access_log
from ingest.formats.jsonl import parse_jsonl
from ingest.reader import Line

BATCH = date(2026, 11, 25)
HEAD = '{"event_id":"e1","event":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1",'
# the documented limits (docs/raw-event-contract.md, "Limits")
MAX_PROPERTIES_DEPTH, MAX_PROPERTIES_KEYS, MAX_PROPERTIES_BYTES, MAX_SHORT_BYTES = 32, 1000, 65535, 256
CONTRACT_DOC = Path(__file__).resolve().parents[1] / "docs" / "raw-event-contract.md"


def parse(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return parse_jsonl(Line(1, data), BATCH, Limits())


def with_properties(props_json: str) -> str:
    return HEAD + f'"properties":{props_json}}}'


def nested(depth: int, open_: str = '{"k":', close: str = "}") -> str:
    """A properties value `depth` levels deep (the properties object is level 1)."""
    return open_ * depth + "1" + close * depth


def reason(result) -> str | None:
    return result.reason if isinstance(result, Rejection) else None


@pytest.mark.parametrize("depth", [300, 1100])
def test_deep_nesting_is_quarantined_not_a_crash(depth):
    result = parse(with_properties(nested(depth)))
    assert reason(result) == "too_deeply_nested", result


def test_depth_limit_is_exact_for_objects_and_arrays():
    assert reason(parse(with_properties(nested(MAX_PROPERTIES_DEPTH)))) is None
    assert reason(parse(with_properties(nested(MAX_PROPERTIES_DEPTH + 1)))) == "too_deeply_nested"
    arrays = '{"a":' + "[" * MAX_PROPERTIES_DEPTH + "1" + "]" * MAX_PROPERTIES_DEPTH + "}"
    assert reason(parse(with_properties(arrays))) == "too_deeply_nested"


@pytest.mark.parametrize("props", [
    '{"note":"a\\u0000b"}',                 # in a value
    '{"a\\u0000":1}',                       # in a key
    '{"list":[1,{"deep":["\\u0000"]}]}',    # inside arrays and objects
])
def test_nul_anywhere_in_properties_is_unstorable(props):
    result = parse(with_properties(props))
    assert reason(result) == "unstorable_text", result


def test_control_characters_other_than_nul_are_kept():
    row, _ = parse(with_properties('{"note":"tab\\there\\u0001"}'))
    assert orjson.loads(row[10]) == {"note": "tab\there\x01"}


def test_key_count_is_capped_over_the_whole_tree():
    flat = orjson.dumps({f"k{i}": i for i in range(MAX_PROPERTIES_KEYS)}).decode()
    assert reason(parse(with_properties(flat))) is None
    spread = orjson.dumps({f"o{i}": {f"k{j}": j for j in range(10)}
                           for i in range(MAX_PROPERTIES_KEYS // 10)}).decode()
    assert reason(parse(with_properties(spread))) == "too_many_keys"


def test_properties_must_fit_the_widest_warehouse_column():
    fits = orjson.dumps({"x": "a" * (MAX_PROPERTIES_BYTES - 8)}).decode()
    assert len(fits) == MAX_PROPERTIES_BYTES
    assert reason(parse(with_properties(fits))) is None
    # characters vs bytes: 30,000 three-byte characters are 90,000 bytes
    wide = orjson.dumps({"x": "€" * 30_000}).decode()
    assert reason(parse(with_properties(wide))) == "properties_too_large"


@pytest.mark.parametrize("field, value", [
    ("event_id", "€" * 100),      # 100 characters, 300 bytes
    ("user_id", "é" * 200),       # 200 characters, 400 bytes
    ("app_version", "x" * (MAX_SHORT_BYTES + 1)),
], ids=["event_id-300-bytes", "user_id-400-bytes", "app_version-257-bytes"])
def test_short_fields_are_limited_in_bytes(field, value):
    obj = orjson.loads(HEAD + '"properties":{}}')
    obj[field] = value
    assert reason(parse(orjson.dumps(obj))) == "invalid_value"


def test_required_string_properties_fit_short_columns():
    obj = orjson.loads(HEAD + '"properties":{}}')
    obj.update(event="experiment_exposure", properties={"experiment": "e" * 300, "variant": "a"})
    assert reason(parse(orjson.dumps(obj))) == "invalid_value"


@pytest.mark.parametrize("text", [
    '203.0.113.9 - - [25/Nov/2026:10:00:00 +0000] "GET /p?utm_source=a%00b HTTP/1.1" 200 5',
    '203.0.113.9 - - [25/Nov/2026:10:00:00 +0000] "GET /p\x00q HTTP/1.1" 200 5',
])
def test_access_log_values_obey_the_same_limits(text):
    result = parse_access_log(Line(1, text.encode()), BATCH, Limits())
    assert reason(result) == "unstorable_text", result


def test_every_reason_code_is_documented():
    doc = CONTRACT_DOC.read_text()
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", doc, flags=re.M))
    assert set(REASONS) <= documented, set(REASONS) - documented


@pytest.mark.parametrize("props, why", [
    ({"plan": "pro"}, "missing_required_property"),    # the billing marts require it not null
    ({"mrr_cents": "9900"}, "invalid_property_type"),
    ({"mrr_cents": 99.5}, "invalid_property_type"),
    ({"mrr_cents": 10**15 + 1}, "invalid_value"),       # sums of such values overflow a bigint
    ({"mrr_cents": -1}, "invalid_value"),
    ({"mrr_cents": 0, "seats": 1e300}, None),           # seats beyond bigint: null in the marts
])
def test_subscription_events_carry_a_storable_mrr(props, why):
    obj = orjson.loads(HEAD + '"properties":{}}')
    obj.update(event="subscription_changed", workspace_id="w1", properties=props)
    assert reason(parse(orjson.dumps(obj))) == why


def test_subscription_events_need_a_workspace():
    obj = orjson.loads(HEAD + '"properties":{"mrr_cents":100}}')
    obj.update(event="subscription_started", workspace_id=None)
    assert reason(parse(orjson.dumps(obj))) == "missing_required_field"


def test_access_log_byte_count_beyond_64_bits_is_quarantined():
    text = '203.0.113.9 - - [25/Nov/2026:10:00:00 +0000] "GET /p HTTP/1.1" 200 ' + "9" * 30
    result = parse_access_log(Line(1, text.encode()), BATCH, Limits())
    assert reason(result) == "invalid_value", result
