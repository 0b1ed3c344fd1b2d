"""Planted volume anomalies, so the monitoring has something real to catch.

They are applied to a finished day's events with their own RNG, so planting an anomaly
leaves the behaviour (and every other day's events) unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from simulator.events import SimulatedEvent, new_uuid

_KEYS = {"date", "event", "factor", "late_batch"}


@dataclass(frozen=True)
class Anomaly:
    """Scale the volume of `event` on UTC day `date` by `factor`."""

    date: dt.date
    event: str
    factor: float


def parse_anomalies(items: list[dict[str, Any]] | None) -> tuple[list[Anomaly], set[dt.date]]:
    """Validate the user's list; returns (volume anomalies, late batch dates).

    `{"date": D, "late_batch": true}`: only the first file of batch D arrives on time, the
    others arrive with batch D + 1 (see `delay_late_batch`). Dates outside the generated
    period simply never match.
    """
    parsed: list[Anomaly] = []
    late: set[dt.date] = set()
    for item in items or []:
        unknown = set(item) - _KEYS
        if unknown:
            raise ValueError(f"anomaly {item!r}: unknown keys {sorted(unknown)}")
        if "date" not in item:
            raise ValueError(f"anomaly {item!r}: 'date' is required")
        date = dt.date.fromisoformat(str(item["date"]))
        if item.get("late_batch"):
            late.add(date)
            continue
        if not isinstance(item.get("event"), str):
            raise ValueError(f"anomaly {item!r}: 'event' (string) is required")
        factor = float(item.get("factor", 0.0))
        if factor < 0:
            raise ValueError(f"anomaly {item!r}: factor must be >= 0")
        parsed.append(Anomaly(date, item["event"], factor))
    return parsed, late


def delay_late_batch(files: list[list[bytes]], delayed: list[list[bytes]],
                     is_late: bool) -> tuple[list[list[bytes]], list[list[bytes]]]:
    """(files written in today's batch, files held back for tomorrow's).

    Yesterday's held-back files join today's batch; on a late-batch day every file but the
    first is held back, like app servers whose upload missed the day's cut-off.
    """
    files = files + delayed
    if is_late and len(files) > 1:
        return files[:1], files[1:]
    return files, []


def apply_anomalies(events: list[SimulatedEvent], rules: list[Anomaly],
                    rng: random.Random) -> list[SimulatedEvent]:
    """Thin out (factor < 1) or multiply (factor > 1, new event_ids) matching events."""
    if not rules:
        return events
    factors: dict[str, float] = {}
    for rule in rules:
        factors[rule.event] = factors.get(rule.event, 1.0) * rule.factor
    out: list[SimulatedEvent] = []
    for ev in events:
        factor = factors.get(ev.record["event"])
        if factor is None:
            out.append(ev)
            continue
        copies = int(factor) + (rng.random() < factor - int(factor))
        for i in range(copies):
            if i == 0:
                out.append(ev)
            else:
                record = dict(ev.record, event_id=new_uuid(rng))
                out.append(SimulatedEvent(ev.ms, ev.seq, ev.server, record))
    return out
