"""The contract as one DuckDB query that vouches for lines, built from ingest/contract.py.

The query never picks a reason code. It only says "accepted" for a line when every check of
the contract passes AND the line is one on which DuckDB's JSON reader and orjson agree; any
other line goes to the reference validator (ingest.contract.validate), which decides reason,
detail and precedence. So the SQL needs no copy of the precedence, and every value it checks
(fields, patterns, enums, required properties, ranges, limits) is read from the contract
module here, not written twice.

Where DuckDB is more lenient than orjson, or values could differ, the line is routed:
trailing commas, NaN/Infinity, exponents (huge ones overflow differently), runs of 17+
digits (big integers, over-precise floats), ``\\u0000`` and surrogate escapes, duplicate
keys (DuckDB reads the first, orjson keeps the last), timestamps that are not plain ASCII
ISO-8601 within years 1900-2999, and lines near the depth, key and size limits.
"""

from __future__ import annotations

from datetime import date, timedelta

from ingest import contract
from ingest.contract import Limits
from ingest.timeparse import MAX_OFFSET, MIN_OFFSET, TS_PATTERN

# Lines matching this go to the reference validator without being parsed here.
SUSPICIOUS = "|".join((
    r",\s*[}\]]",  # trailing comma (DuckDB accepts it)
    r"[:,\[]\s*[-+]?(?i:nan|inf)",  # NaN, Infinity
    r"[:,\[]\s*-?[0-9.]+[eE]",  # exponent
    r"[0-9]{17}",  # integers beyond 64 bits, floats beyond double precision
    r"\\u0000",  # U+0000: unstorable, and DuckDB text cannot hold it
    r"(?i:\\ud[89a-f])",  # surrogate escapes
))
MAX_FAST_LINE_BYTES = 60_000  # far below MAX_PROPERTIES_BYTES whatever the re-encoding
ASCII_TS = TS_PATTERN.replace(r"\d", "[0-9]")  # Python's \d also matches non-ASCII digits
TS_GROUPS = ("y", "mo", "d", "h", "mi", "s", "f", "off")
FIELDS = ("event_id", "event", "ts", "user_id", "anonymous_id",
          *contract.OPTIONAL_STRING_FIELDS, "properties")
VALUE_FIELDS = ("user_id", "anonymous_id", *contract.OPTIONAL_STRING_FIELDS)
_JSON_TYPES = {str: ("VARCHAR",), int: ("BIGINT", "UBIGINT"), float: ("DOUBLE",)}
OUTPUT = ("event_id", "event_name", "event_at", "user_id", "anonymous_id", "workspace_id",
          "client_session_id", "platform", "app_version", "country", "properties",
          "ts_has_offset")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_list(values) -> str:
    """SQL list of string literals, for `in`: ('a', 'b')."""
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def _count(char: str) -> str:
    return f"(strlen(line) - strlen(replace(line, {_lit(char)}, '')))"


_CONTROL = _lit(contract.CONTROL_PATTERN)


def _t(name: str) -> str:
    return f"ty[{FIELDS.index(name) + 1}]"


def _s(name: str) -> str:
    """The field's text when it is a JSON string (json_extract_string also renders numbers)."""
    return f"sv[{FIELDS.index(name) + 1}]"


def _string_or_null(name: str) -> str:
    return (f"(coalesce({_t(name)}, 'NULL') = 'NULL' or ({_t(name)} = 'VARCHAR' "
            f"and strlen({_s(name)}) <= {contract.MAX_SHORT_BYTES}))")


def _value(name: str) -> str:
    return f"case when {_t(name)} = 'VARCHAR' then nullif({_s(name)}, '') end"


def _property_checks(event: str) -> str:
    """Required properties of one event: present, of the right JSON type, short, in range;
    properties without duplicate keys (DuckDB and orjson would read different copies)."""
    checks = ["len(json_keys(props)) = len(list_distinct(json_keys(props)))"]
    for name, types, _label in contract.REQUIRED_PROPERTIES.get(event, ()):
        value = f"json_extract(props, {_lit(f'$.{name}')})"
        json_types = [t for kind in types for t in _JSON_TYPES[kind]]
        checks.append(f"coalesce(json_type({value}) in {sql_list(json_types)}, false)")
        if str in types:
            checks.append(f"strlen({value} ->> '$') <= {contract.MAX_SHORT_BYTES}")
    for name, (low, high) in contract.PROPERTY_BOUNDS.get(event, {}).items():
        number = f"try_cast(json_extract(props, {_lit(f'$.{name}')}) ->> '$' as double)"
        checks.append(f"{number} >= {low}")
        if high is not None:
            checks.append(f"{number} <= {high}")
    if event in contract.CURRENCY_EVENTS:
        currency = f"json_extract(props, {_lit('$.currency')})"
        checks.append(f"(coalesce(json_type({currency}), 'NULL') = 'NULL' or "
                      f"(json_type({currency}) = 'VARCHAR' and ({currency} ->> '$') in "
                      f"{sql_list(contract.CURRENCIES)}))")
    return " and ".join(checks)


# DuckDB's text of properties (minified by its JSON writer) is already the canonical text
# (ingest.contract.encode_properties) when every object in it has sorted, distinct keys:
# numbers that reach this query render alike, and so do strings except control characters,
# which DuckDB escapes as \u001F where orjson writes \u001f. Checked conservatively: one
# object (no '{' anywhere after the first character), keys sorted and distinct, no \u.
CANONICAL = ("(coalesce(props_type, 'NULL') <> 'OBJECT' or ("
             "json_keys(props) = list_sort(list_distinct(json_keys(props))) "
             "and strpos(substr(props::varchar, 2), '{') = 0 "
             "and strpos(props::varchar, '\\u') = 0))")


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def accept_query(batch_date: date, limits: Limits) -> str:
    """SQL over ``chunk(idx, line)``: every line's ``ok`` and, where ok, its row values."""
    start = f"timestamp '{batch_date.isoformat()} 00:00:00'"
    future = f"{start} + interval {1 + limits.max_future_days} day"
    too_old = ("false" if limits.max_late_days is None
               else f"event_at < {start} - interval {limits.max_late_days} day")
    paths = ", ".join(_lit(f'$."{name}"') for name in FIELDS)
    groups = ", ".join(_lit(g) for g in TS_GROUPS)
    props_events = sorted(set(contract.REQUIRED_PROPERTIES) | set(contract.PROPERTY_BOUNDS)
                          | set(contract.CURRENCY_EVENTS))
    prop_cases = " ".join(f"when {_lit(e)} then {_property_checks(e)}" for e in props_events)
    optional = " and ".join(_string_or_null(n) for n in VALUE_FIELDS)
    # control characters: one search over every short text field, not one per field
    short_texts = " || ".join(f"coalesce({_s(n)}, '')" for n in ("event_id", *VALUE_FIELDS))
    return f"""
with safe as (  -- only functions that cannot fail on any text
    select idx, line from chunk
    where strlen(line) <= {MAX_FAST_LINE_BYTES}
      and {_count('{')} + {_count('[')} <= {contract.MAX_PROPERTIES_DEPTH}
      and {_count(':')} <= {contract.MAX_PROPERTIES_KEYS}
      and left(line, 1) = '{{'
      and not regexp_matches(line, {_lit(SUSPICIOUS)})
      and json_valid(line)
), parsed as (  -- one parse for the types, one for the text of every field
    select idx, line,
        json_type(line, [{paths}]) as ty,
        json_extract_string(line, [{paths}]) as sv,
        json_extract(line, '$."properties"') as props
    from safe
), fields as (
    select *,
        {_t('properties')} as props_type,
        {_value('event')} as event,
        {_value('ts')} as ts,
        {short_texts} as short_texts,
        regexp_extract(coalesce({_value('ts')}, ''), {_lit(ASCII_TS)}, [{groups}]) as t
    from parsed
), values as (
    select *,
        {", ".join(f"{_value(n)} as {n}" for n in VALUE_FIELDS)}
    from fields
), times as (
    select *,
        try_cast(t.y as int) as y, try_cast(t.h as int) as hh, try_cast(t.mi as int) as mi,
        coalesce(try_cast(nullif(t.s, '') as int), 0) as ss,
        case when t.off in ('', 'Z', 'z') then 0
             else (case when left(t.off, 1) = '-' then -1 else 1 end)
                  * (try_cast(substr(t.off, 2, 2) as int) * 60
                     + case when strlen(t.off) > 3 then try_cast(right(t.off, 2) as int) else 0 end)
        end as off_minutes,
        case when strlen(t.off) > 3 then try_cast(right(t.off, 2) as int) else 0 end as off_mm,
        try_cast(t.y || '-' || t.mo || '-' || t.d || ' ' || t.h || ':' || t.mi || ':'
                 || coalesce(nullif(t.s, ''), '00') || '.' || rpad(left(t.f, 6), 6, '0')
                 as timestamp) as local_at
    from values
), checked as (
    select *, local_at - to_minutes(off_minutes) as event_at from times
)
select idx,
    coalesce(
        len(json_keys(line)) = len(list_distinct(json_keys(line)))
        and {_t('event_id')} = 'VARCHAR'
        and strlen({_s('event_id')}) between 1 and {contract.MAX_ID_LENGTH}
        and not regexp_matches(short_texts, {_CONTROL})
        and {_t('event')} = 'VARCHAR'
        and regexp_full_match(event, {_lit(contract.EVENT_NAME.pattern)})
        and {_t('ts')} = 'VARCHAR' and regexp_full_match(ts, {_lit(ASCII_TS)})
        and y between 1900 and 2999 and hh <= 23 and mi <= 59 and ss <= 59
        and off_mm < 60
        and off_minutes between {_minutes(MIN_OFFSET)} and {_minutes(MAX_OFFSET)}
        and local_at is not null
        and event_at < {future} and not ({too_old})
        and {optional}
        and coalesce(user_id, anonymous_id) is not null
        and (platform is null or platform in {sql_list(contract.PLATFORMS)})
        and (country is null or regexp_full_match(country, {_lit(contract.COUNTRY.pattern)}))
        and (event not in {sql_list(contract.SUBSCRIPTION_EVENTS)} or workspace_id is not null)
        and coalesce(props_type, 'NULL') in ('NULL', 'OBJECT')
        and case event {prop_cases} else true end,
    false) as ok,
    {_s('event_id')} as event_id, event as event_name,
    strftime(event_at, '%Y-%m-%d %H:%M:%S.%f') as event_at,
    user_id, anonymous_id, workspace_id, session_id as client_session_id,
    platform, app_version, country,
    case when props_type = 'OBJECT' then props::varchar else '{{}}' end as properties,
    t.off not in ('') as ts_has_offset,
    {CANONICAL} as canonical
from checked
"""
