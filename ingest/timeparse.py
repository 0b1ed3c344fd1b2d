"""Strict ISO-8601 parsing to naive UTC, identical on every Python we support.

`datetime.fromisoformat` differs between 3.10 and 3.11 (``Z``, digits of fraction), so the
contract's timestamp grammar is parsed here once, for every raw format.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_TS = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
TS_PATTERN = _TS.pattern  # the grammar, for engines that check timestamps elsewhere (SQL)
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)
UTC = timezone.utc


class TimestampError(ValueError):
    """The text is not a timestamp the contract accepts."""


def parse_offset(text: str) -> timedelta:
    """``Z``, ``+05``, ``+0530`` or ``-05:30`` → offset; outside -12:00..+14:00 is an error."""
    if text in ("Z", "z"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if minutes >= 60:
        raise TimestampError(f"bad offset {text!r}")
    offset = sign * timedelta(hours=hours, minutes=minutes)
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise TimestampError(f"offset {text!r} outside -12:00..+14:00")
    return offset


def parse_ts(text: str) -> tuple[datetime, bool]:
    """Parse a contract timestamp; return (naive UTC datetime, had_offset).

    Fractions beyond microseconds are truncated, so the result is deterministic.
    """
    m = _TS.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise TimestampError(f"not an ISO-8601 timestamp: {str(text)[:64]!r}")
    year, month, day, hour, minute, second, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute),
                         int(second or 0), micro)
    except ValueError as exc:
        raise TimestampError(str(exc)) from None
    if off is None:
        return local, False
    try:
        return local - parse_offset(off), True
    except OverflowError:
        raise TimestampError(f"timestamp out of range: {text[:64]!r}") from None


def format_ts(value: datetime) -> str:
    """The one text form of a UTC timestamp in lake files (all warehouses read it)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")
