"""Realistic delivery faults: broken lines, missing fields, resends and late arrivals.

The ingest's quarantine, dedup and late-data handling need these in the raw files; every
injected fault is counted so tests can reconcile the files against the stats exactly:
``lines == events + malformed_json + missing_field + duplicate``.
"""

from __future__ import annotations

import random
from collections import Counter

import orjson

from simulator.config import FAULT_SPLIT
from simulator.events import SimulatedEvent, new_uuid

_KINDS = list(FAULT_SPLIT)
_WEIGHTS = list(FAULT_SPLIT.values())


class FaultInjector:
    """Turns one batch's events into file lines, adding faults at `rate` per event.

    Lines meant for later batches (late events, cross-batch resends) go to `carry`, keyed
    by day index, and never beyond `last_day`.
    """

    def __init__(self, rate: float, last_day: int, carry: dict[int, list[bytes]],
                 counts: Counter[str]) -> None:
        self.rate = rate
        self.last_day = last_day
        self.carry = carry
        self.counts = counts

    def file_lines(self, rng: random.Random, day: int, events: list[SimulatedEvent]) -> list[bytes]:
        """Serialized lines of one file, with same-file faults placed near their source."""
        lines: list[bytes] = []
        extras: list[tuple[int, int, bytes]] = []  # (insert before index, order, line)
        for ev in events:
            line = orjson.dumps(ev.record)
            if self.rate <= 0 or rng.random() >= self.rate:
                lines.append(line)
                continue
            kind = rng.choices(_KINDS, weights=_WEIGHTS)[0]
            if kind == "late" and day >= self.last_day:
                kind = "duplicate"
            self.counts[kind] += 1
            if kind == "late":  # the event only arrives 1-5 batches later
                self.carry.setdefault(day + rng.randint(1, min(5, self.last_day - day)),
                                      []).append(line)
                continue
            lines.append(line)
            here = len(lines)
            if kind == "duplicate":
                if day < self.last_day and rng.random() < 0.4:
                    self.carry.setdefault(day + 1, []).append(line)
                else:
                    extras.append((here + rng.randrange(60), len(extras), line))
            elif kind == "malformed_json":  # a write cut off mid-object
                extras.append((here - 1 + rng.randrange(2), len(extras),
                               line[: rng.randrange(10, len(line) - 2)]))
            else:  # a buggy client dropped a required field
                record = dict(ev.record, event_id=new_uuid(rng))
                del record[rng.choice(["ts", "event"])]
                extras.append((here + rng.randrange(5), len(extras), orjson.dumps(record)))
        return _merge(lines, extras)

    def add_arrivals(self, rng: random.Random, day: int, files: list[list[bytes]]) -> None:
        """Lines carried over from earlier batches land at random places of this batch."""
        for line in self.carry.pop(day, []):
            target = files[rng.randrange(len(files))]
            target.insert(rng.randrange(len(target) + 1), line)


def _merge(lines: list[bytes], extras: list[tuple[int, int, bytes]]) -> list[bytes]:
    if not extras:
        return lines
    extras.sort()
    out: list[bytes] = []
    k = 0
    for i, line in enumerate(lines):
        while k < len(extras) and extras[k][0] <= i:
            out.append(extras[k][2])
            k += 1
        out.append(line)
    out.extend(x[2] for x in extras[k:])
    return out
