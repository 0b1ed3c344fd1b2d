"""Raw event contract v1 (docs/raw-event-contract.md): decoded JSON object → lake row.

Pure functions, no I/O and no mrjob: every runner and every raw format shares this code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from ingest.timeparse import TimestampError, format_ts, parse_ts

CONTRACT_VERSION = 1
EVENT_NAME = re.compile(r"[a-z0-9_]{1,64}")
COUNTRY = re.compile(r"[A-Z]{2}")
# The contract's enumerations. They are the one source of dbt's accepted values too:
# dbt_project.yml declares each as a `contract_*` var that the models' accepted_values tests
# read, and tests/test_contract_enums.py fails when a var differs from the tuple here or a
# model lists such values itself (DBT_ENUM_VARS).
PLATFORMS = ("web", "ios", "android", "desktop", "api")
MAX_ID_LENGTH = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_PATTERN = _CONTROL.pattern  # for engines that check text elsewhere (SQL)
# What every warehouse can store (docs/raw-event-contract.md, "Limits"): Redshift's short
# columns are varchar(256) and its longest varchar(65535), counted in UTF-8 bytes; no
# warehouse stores U+0000 in text (PostgreSQL also refuses it inside json). The depth and key
# caps keep one line from exhausting the job (orjson itself stops serialising at depth 255).
MAX_SHORT_BYTES = 256
MAX_PROPERTIES_BYTES = 65535
MAX_PROPERTIES_DEPTH = 32  # the properties object itself is level 1
MAX_PROPERTIES_KEYS = 1000  # keys of all objects inside properties together

SUBSCRIPTION_EVENTS = ("subscription_started", "subscription_changed", "subscription_canceled")
# ISO 4217 currencies of subscription events the billing marts handle: they add mrr_cents
# across workspaces, so one currency only; any other is quarantined (unsupported_currency)
# rather than failing the marts' tests and keeping the whole date from publishing.
CURRENCIES = ("USD",)
DBT_ENUM_VARS = {"contract_platforms": PLATFORMS,
                 "contract_subscription_events": SUBSCRIPTION_EVENTS,
                 "contract_currencies": CURRENCIES}
_PLATFORM_SET = frozenset(PLATFORMS)
# Required properties per event: name -> (property, accepted JSON types, type label).
REQUIRED_PROPERTIES: dict[str, tuple[tuple[str, tuple[type, ...], str], ...]] = {
    "experiment_exposure": (("experiment", (str,), "string"), ("variant", (str,), "string")),
    "perf_timing": (("action", (str,), "string"), ("duration_ms", (int, float), "number")),
    # the billing models need the workspace's MRR after every subscription event
    **{name: (("mrr_cents", (int,), "integer"),) for name in SUBSCRIPTION_EVENTS},
}
MAX_MRR_CENTS = 10**15  # $10 trillion: sums over thousands of workspaces still fit a bigint
# Numeric ranges of required properties: event -> property -> (minimum, maximum or None).
PROPERTY_BOUNDS: dict[str, dict[str, tuple[int, int | None]]] = {
    "perf_timing": {"duration_ms": (0, None)},
    **{name: {"mrr_cents": (0, MAX_MRR_CENTS)} for name in SUBSCRIPTION_EVENTS},
}
# Events whose optional properties.currency must be one of CURRENCIES.
CURRENCY_EVENTS = SUBSCRIPTION_EVENTS
OPTIONAL_STRING_FIELDS = ("workspace_id", "session_id", "platform", "app_version", "country")

# Every reason code a line can be quarantined with (documented in the contract).
REASONS = (
    "blank_line", "line_too_long", "invalid_utf8", "invalid_json", "not_an_object",
    "missing_required_field", "missing_identity", "wrong_type", "invalid_value",
    "invalid_event_name", "invalid_timestamp", "timestamp_in_future", "timestamp_too_old",
    "missing_required_property", "invalid_property_type", "damaged_file_fragment",
    "invalid_access_log", "too_deeply_nested", "too_many_keys", "unstorable_text",
    "properties_too_large", "unsupported_currency",
)


@dataclass(frozen=True)
class Limits:
    """How far event time may stray from the batch date before a line is rejected."""

    max_late_days: int | None = 30  # None lifts the limit (history imports)
    max_future_days: int = 1


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str


class _Reject(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.rejection = Rejection(reason, detail)


def _string_or_null(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Reject("wrong_type", f"{name} must be a string or null, got {type(value).__name__}")
    if _CONTROL.search(value) or _too_long(value):
        raise _Reject("invalid_value", f"{name} has control characters or is longer than "
                      f"{MAX_SHORT_BYTES} UTF-8 bytes")
    return value or None


def _too_long(value: str, limit: int = MAX_SHORT_BYTES) -> bool:
    """Longer than `limit` UTF-8 bytes (checked on characters first: bytes >= characters)."""
    return len(value) > limit or (not value.isascii() and len(value.encode()) > limit)


def _required_string(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise _Reject("missing_required_field", f"{name} is missing")
    if not isinstance(value, str):
        raise _Reject("wrong_type", f"{name} must be a string, got {type(value).__name__}")
    return value


def _event_time(obj: dict[str, Any], batch_date: date, limits: Limits) -> tuple[datetime, bool]:
    ts = _required_string(obj, "ts")
    try:
        event_at, had_offset = parse_ts(ts)
    except TimestampError as exc:
        raise _Reject("invalid_timestamp", str(exc)) from None
    batch_start = datetime(batch_date.year, batch_date.month, batch_date.day)
    if event_at >= batch_start + timedelta(days=1 + limits.max_future_days):
        raise _Reject("timestamp_in_future", f"{ts} is more than "
                      f"{limits.max_future_days} day(s) after batch {batch_date}")
    if limits.max_late_days is not None and event_at < batch_start - timedelta(
            days=limits.max_late_days):
        raise _Reject("timestamp_too_old", f"{ts} is more than {limits.max_late_days} "
                      f"days before batch {batch_date}")
    return event_at, had_offset


def _properties(obj: dict[str, Any], event: str) -> dict[str, Any]:
    props = obj.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise _Reject("wrong_type", f"properties must be an object, got {type(props).__name__}")
    for name, types, label in REQUIRED_PROPERTIES.get(event, ()):
        value = props.get(name)
        if value is None:
            raise _Reject("missing_required_property", f"{event} needs properties.{name}")
        if not isinstance(value, types) or isinstance(value, bool):
            raise _Reject("invalid_property_type",
                          f"properties.{name} must be a {label}, got {type(value).__name__}")
        if isinstance(value, str) and _too_long(value):
            raise _Reject("invalid_value", f"properties.{name} is longer than "
                          f"{MAX_SHORT_BYTES} UTF-8 bytes")
    for name, (low, high) in PROPERTY_BOUNDS.get(event, {}).items():
        value = props[name]
        if value < low or (high is not None and value > high):
            raise _Reject("invalid_value", f"properties.{name} must be >= {low}" if high is None
                          else f"properties.{name} must be an integer {low}..{high:,}")
    if event in CURRENCY_EVENTS:
        _currency(props.get("currency"))
    return props


def _currency(value: Any) -> None:
    """A subscription event's optional currency: null, or one the billing marts handle."""
    if value is None:
        return
    if not isinstance(value, str):
        raise _Reject("invalid_property_type",
                      f"properties.currency must be a string, got {type(value).__name__}")
    if value not in CURRENCIES:
        raise _Reject("unsupported_currency", f"properties.currency {value[:40]!r} is not "
                      f"{' or '.join(CURRENCIES)}, the currency the billing marts add up")


def _unstorable(text: str, where: str) -> None:
    if "\x00" in text:
        raise _Reject("unstorable_text", f"{where} contains U+0000, which no warehouse stores")


def _check_storable(props: dict[str, Any]) -> None:
    """Depth, key count and string content of the whole properties tree, without recursion
    (a hostile line may nest as deep as the JSON parser allows)."""
    keys = 0
    stack: list[tuple[Any, int]] = [(props, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_PROPERTIES_DEPTH:
            raise _Reject("too_deeply_nested",
                          f"properties nest deeper than {MAX_PROPERTIES_DEPTH} levels")
        if isinstance(value, dict):
            keys += len(value)
            if keys > MAX_PROPERTIES_KEYS:
                raise _Reject("too_many_keys",
                              f"properties hold more than {MAX_PROPERTIES_KEYS} keys")
            for key in value:
                _unstorable(key, f"property key {key[:40]!r}")
            items = value.values()
        else:
            items = value
        for item in items:
            if isinstance(item, str):
                _unstorable(item, "a property value")
            elif isinstance(item, (dict, list)):
                stack.append((item, depth + 1))


def encode_properties(props: dict[str, Any]) -> bytes:
    """The canonical text of properties as stored, the one definition every engine uses:
    compact JSON with the keys of every object sorted (orjson; UTF-8, not escaped)."""
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS)


def _stored_properties(props: dict[str, Any]) -> str:
    """The properties as stored (sorted-key JSON), once they pass the limits. The precise walk
    runs only when cheap counts over the encoded bytes say a limit may be near: a bracket,
    colon or ``\\u0000`` inside a string only makes the walk run, never skips it."""
    try:
        encoded = encode_properties(props)
        error = None
    except orjson.JSONEncodeError as exc:  # deeper than 255 levels, an integer beyond 64 bits
        encoded, error = b"", str(exc)
    if (error or b"\\u0000" in encoded or encoded.count(b":") > MAX_PROPERTIES_KEYS
            or encoded.count(b"{") + encoded.count(b"[") > MAX_PROPERTIES_DEPTH):
        _check_storable(props)
    if error:
        raise _Reject("invalid_value", f"properties cannot be stored as JSON: {error[:100]}")
    if len(encoded) > MAX_PROPERTIES_BYTES:
        raise _Reject("properties_too_large", f"properties take {len(encoded):,} bytes "
                      f"as JSON, more than {MAX_PROPERTIES_BYTES:,}")
    return encoded.decode()


def validate(obj: Any, batch_date: date, limits: Limits = Limits()) -> tuple[list, bool] | Rejection:
    """Check one decoded JSON value against the contract.

    Returns the row values for the contract columns of `ingest.schema.EVENTS` (event_id ..
    ts_has_offset) and whether ts had an offset, or a Rejection with a reason code.
    """
    if not isinstance(obj, dict):
        return Rejection("not_an_object", f"JSON {type(obj).__name__} is not an object")
    try:
        event_id = _required_string(obj, "event_id")
        event = _required_string(obj, "event")
        event_at, had_offset = _event_time(obj, batch_date, limits)
        if (not event_id or _CONTROL.search(event_id) or len(event_id) > MAX_ID_LENGTH
                or _too_long(event_id)):
            raise _Reject("invalid_value", "event_id must be 1-128 printable characters, "
                          f"at most {MAX_SHORT_BYTES} UTF-8 bytes")
        if not EVENT_NAME.fullmatch(event):
            raise _Reject("invalid_event_name", f"event {event[:80]!r} does not match [a-z0-9_]{{1,64}}")
        user_id = _string_or_null(obj, "user_id")
        anonymous_id = _string_or_null(obj, "anonymous_id")
        if user_id is None and anonymous_id is None:
            raise _Reject("missing_identity", "neither user_id nor anonymous_id")
        workspace_id, session_id, platform, app_version, country = (
            _string_or_null(obj, name) for name in OPTIONAL_STRING_FIELDS)
        if platform is not None and platform not in _PLATFORM_SET:
            raise _Reject("invalid_value", f"platform {platform[:40]!r} is not one of "
                          f"{', '.join(sorted(PLATFORMS))}")
        if country is not None and not COUNTRY.fullmatch(country):
            raise _Reject("invalid_value", f"country {country[:40]!r} is not ISO alpha-2")
        if event in SUBSCRIPTION_EVENTS and workspace_id is None:
            raise _Reject("missing_required_field", f"{event} needs workspace_id")
        props = _properties(obj, event)
        properties = _stored_properties(props)
    except _Reject as rejected:
        return rejected.rejection
    row = [event_id, event, format_ts(event_at), user_id, anonymous_id, workspace_id,
           session_id, platform, app_version, country, properties, had_offset]
    return row, had_offset
