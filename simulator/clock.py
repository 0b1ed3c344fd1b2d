"""Time helpers: integer UTC milliseconds inside, client-local ISO-8601 strings outside.

Integers keep the simulation exact and fast; real `zoneinfo` zones at formatting time give
the DST switches and odd offsets (+05:30, +14:00, -11:00) that the ingest must survive.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from simulator.config import DAY_MS, DIURNAL

UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_DIURNAL_CUM = list(accumulate(DIURNAL))


def day_start_ms(day: dt.date) -> int:
    """UTC midnight of `day` as epoch milliseconds."""
    return (day - _EPOCH.date()).days * DAY_MS


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """Cached zone lookup (ZoneInfo objects are cached too, this just skips the call)."""
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def offset_seconds(tz_name: str, day_ms: int) -> int:
    """UTC offset of a zone at noon UTC of a day; used to place local hours on that day."""
    noon = _EPOCH + dt.timedelta(milliseconds=day_ms + DAY_MS // 2)
    off = noon.astimezone(zone(tz_name)).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def format_ts(ms: int, tz_name: str | None) -> str:
    """`2026-11-25T09:03:22.123-05:00` in the client's zone; `tz_name=None` gives `...Z`."""
    utc = _EPOCH + dt.timedelta(milliseconds=ms)
    millis = ms % 1000
    if tz_name is None:
        return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:"
                f"{utc.minute:02d}:{utc.second:02d}.{millis:03d}Z")
    local = utc.astimezone(zone(tz_name))
    off = local.utcoffset()
    secs = int(off.total_seconds()) if off is not None else 0
    sign = "+" if secs >= 0 else "-"
    secs = abs(secs)
    return (f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:"
            f"{local.minute:02d}:{local.second:02d}.{millis:03d}"
            f"{sign}{secs // 3600:02d}:{secs % 3600 // 60:02d}")


def local_weekday(day_ms: int, tz_name: str) -> int:
    """Weekday (Monday = 0) in the client's zone at noon UTC of a day."""
    local_noon = day_ms + DAY_MS // 2 + offset_seconds(tz_name, day_ms) * 1000
    return (local_noon // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday


def sample_time_in_day(rng: random.Random, day_ms: int, tz_name: str | None) -> int:
    """An instant inside UTC day `day_ms` whose *local* hour follows the diurnal curve.

    Local time-of-day maps one-to-one onto UTC time-of-day for a fixed offset, so picking a
    local hour by weight and shifting it by the offset keeps every event on its UTC day.
    """
    hour = bisect_left(_DIURNAL_CUM, rng.random() * _DIURNAL_CUM[-1])
    local_ms = hour * 3_600_000 + rng.randrange(3_600_000)
    off_ms = offset_seconds(tz_name, day_ms) * 1000 if tz_name else 0
    return day_ms + (local_ms - off_ms) % DAY_MS
