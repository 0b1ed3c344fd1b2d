"""Contract v1 validation and timestamp normalisation."""

from datetime import date, datetime

import pytest

from ingest.contract import Limits, Rejection, validate
from ingest.timeparse import TimestampError, parse_ts

BATCH = date(2026, 11, 25)


def event(**over):
    base = {"event_id": "e1", "event": "login", "ts": "2026-11-25T09:03:22.123-05:00",
            "user_id": "u1", "anonymous_id": None, "platform": "web", "country": "DE",
            "properties": {"b": 1, "a": "x"}}
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


def test_valid_event_is_normalised_to_utc_with_sorted_properties():
    row, had_offset = validate(event(), BATCH)
    assert row[0:3] == ["e1", "login", "2026-11-25 14:03:22.123000"]
    assert row[10] == '{"a":"x","b":1}'
    assert had_offset is True


@pytest.mark.parametrize("over, reason", [
    ({"event_id": ...}, "missing_required_field"),
    ({"ts": None}, "missing_required_field"),
    ({"user_id": 42}, "wrong_type"),
    ({"user_id": None}, "missing_identity"),
    ({"event": "Sign Up"}, "invalid_event_name"),
    ({"event": "x" * 65}, "invalid_event_name"),
    ({"ts": "yesterday"}, "invalid_timestamp"),
    ({"ts": "2026-11-25T09:00:00+15:00"}, "invalid_timestamp"),
    ({"ts": "2026-11-27T00:00:00Z"}, "timestamp_in_future"),
    ({"ts": "2026-10-25T23:59:59Z"}, "timestamp_too_old"),
    ({"platform": "fridge"}, "invalid_value"),
    ({"country": "Germany"}, "invalid_value"),
    ({"event_id": "a\tb"}, "invalid_value"),
    ({"properties": [1]}, "wrong_type"),
    ({"event": "experiment_exposure", "properties": {"experiment": "x"}},
     "missing_required_property"),
    ({"event": "perf_timing", "properties": {"action": "a", "duration_ms": "5"}},
     "invalid_property_type"),
    ({"event": "perf_timing", "properties": {"action": "a", "duration_ms": True}},
     "invalid_property_type"),
])
def test_rejections_carry_reason_codes(over, reason):
    result = validate(event(**over), BATCH)
    assert isinstance(result, Rejection), result
    assert result.reason == reason


def test_not_an_object():
    assert validate([1, 2], BATCH).reason == "not_an_object"


def test_late_limit_can_be_lifted_for_history_imports():
    old = event(ts="2020-01-01T00:00:00Z")
    assert validate(old, BATCH).reason == "timestamp_too_old"
    assert not isinstance(validate(old, BATCH, Limits(max_late_days=None)), Rejection)


def test_future_edge_is_end_of_next_day():
    assert not isinstance(validate(event(ts="2026-11-26T23:59:59.999Z"), BATCH), Rejection)
    assert validate(event(ts="2026-11-27T00:00:00Z"), BATCH).reason == "timestamp_in_future"


@pytest.mark.parametrize("text, expected", [
    ("2026-11-25T09:03:22.123-05:00", datetime(2026, 11, 25, 14, 3, 22, 123000)),
    ("2026-11-25T09:03:22Z", datetime(2026, 11, 25, 9, 3, 22)),
    ("2026-11-25T00:30:00+14:00", datetime(2026, 11, 24, 10, 30)),
    ("2026-11-25T23:30:00-12:00", datetime(2026, 11, 26, 11, 30)),
    ("2026-11-25T09:03:22.123456789+05:30", datetime(2026, 11, 25, 3, 33, 22, 123456)),
    ("2026-03-29T03:30:00+02:00", datetime(2026, 3, 29, 1, 30)),  # just after CET->CEST
    ("2026-11-01T01:30:00-04:00", datetime(2026, 11, 1, 5, 30)),  # NY, before fall back
    ("2026-11-01T01:30:00-05:00", datetime(2026, 11, 1, 6, 30)),  # NY, after fall back
])
def test_parse_ts_to_utc(text, expected):
    assert parse_ts(text) == (expected, True)


def test_parse_ts_without_offset_is_utc_and_flagged():
    assert parse_ts("2026-11-25T09:03:22") == (datetime(2026, 11, 25, 9, 3, 22), False)


@pytest.mark.parametrize("text", ["", "2026-13-01T00:00:00Z", "2026-11-25", "9999-12-31T23:00:00-12:00",
                                  "2026-11-25T09:03:22+05:99"])
def test_parse_ts_rejects(text):
    with pytest.raises(TimestampError):
        parse_ts(text)
