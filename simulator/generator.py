"""`generate()`: run the simulation day by day and write each UTC batch as it completes.

Streaming per day keeps memory at "per-user state + about two days of events", whatever the
period length; separate seeded RNGs for behaviour, faults and anomalies keep each concern
reproducible on its own (planting an anomaly does not reshuffle other days).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from simulator.anomalies import apply_anomalies, delay_late_batch, parse_anomalies
from simulator.behaviour import APP_SERVERS, Simulator
from simulator.clock import day_start_ms
from simulator.config import DAY_MS, FAULT_SPLIT, BehaviourConfig
from simulator.events import EventFactory, SimulatedEvent
from simulator.faults import FaultInjector
from simulator.population import Population
from simulator.writer import batch_dir, write_jsonl_gz


def seeded(key: int | str) -> random.Random:
    """A reproducible RNG (str keys are hashed with SHA-512 by `random`, not `hash()`)."""
    return random.Random(key)  # noqa: S311 - simulation, not cryptography


def generate(out_dir: str | Path, start: dt.date, days: int, users: int, seed: int = 42,
             fault_rate: float = 0.003, progress: bool = True,
             anomalies: list[dict[str, Any]] | None = None,
             behaviour: BehaviourConfig | None = None) -> dict[str, Any]:
    """Write `days` daily batches of raw events starting at `start`; return stats.

    `users` is the number of signups over the whole period.  Same arguments -> identical
    bytes.  Stats: ``lines`` (all lines written), ``events`` (distinct valid events),
    ``faults`` per kind, ``files``, ``batches`` ({date: lines}), plus ``users``,
    ``workspaces``, ``dropped_after_period`` (events of sessions running past the last day)
    and ``late_batches`` (dates whose batch arrived partly a day late).

    `anomalies`: ``{"date", "event", "factor"}`` scales that event's volume on that UTC day
    (0 removes it, 3.0 triples it with new event_ids).  ``{"date", "late_batch": true}``
    delivers all files of that batch but the first with the next day's batch.
    """
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if isinstance(start, dt.datetime):
        start = start.date()
    if days < 1 or users < 0:
        raise ValueError("days must be >= 1 and users >= 0")
    if not 0 <= fault_rate < 0.5:
        raise ValueError("fault_rate must be in [0, 0.5)")
    rules, late_dates = parse_anomalies(anomalies)
    cfg = behaviour or BehaviourConfig()
    out = Path(out_dir)
    period_start_ms = day_start_ms(start)

    buffers: dict[int, list[SimulatedEvent]] = {}
    state = {"day": 0, "dropped": 0}

    def route(ev: SimulatedEvent) -> None:
        index = (ev.ms - period_start_ms) // DAY_MS
        if index >= days:
            state["dropped"] += 1  # spilled past the end of the period
        elif index < state["day"]:
            raise RuntimeError(f"event for closed batch {index} while simulating {state['day']}")
        else:
            buffers.setdefault(index, []).append(ev)

    rng = seeded(seed)
    population = Population(rng, start, days, users, cfg)
    simulator = Simulator(rng, population, EventFactory(rng, route), cfg)

    faults: Counter[str] = Counter({k: 0 for k in FAULT_SPLIT})
    carry: dict[int, list[bytes]] = {}
    delayed: list[list[bytes]] = []
    injector = FaultInjector(fault_rate, days - 1, carry, faults)
    stats: dict[str, Any] = {"lines": 0, "events": 0, "faults": faults, "files": 0,
                             "batches": {}}

    for d in tqdm(range(days), desc="simulating", unit="day", file=sys.stderr,
                  disable=None if progress else True):  # None: no bar off a terminal
        state["day"] = d
        simulator.simulate_day(d)
        date = start + dt.timedelta(days=d)
        events = sorted(buffers.pop(d, []), key=lambda e: (e.ms, e.seq))
        day_rules = [r for r in rules if r.date == date]
        events = apply_anomalies(events, day_rules, seeded(f"{seed}:anomaly:{date}"))
        stats["events"] += len(events)

        fault_rng = seeded(f"{seed}:faults:{date}")
        n_files = 2 if date.weekday() >= 5 or fault_rng.random() < 0.3 else APP_SERVERS
        per_server: list[list[SimulatedEvent]] = [[] for _ in range(n_files)]
        for ev in events:
            per_server[ev.server % n_files].append(ev)
        files = [injector.file_lines(fault_rng, d, evs) for evs in per_server]
        injector.add_arrivals(fault_rng, d, files)
        files, delayed = delay_late_batch(files, delayed, date in late_dates)

        folder = batch_dir(out, date.isoformat())
        for n, lines in enumerate(files, start=1):
            write_jsonl_gz(folder / f"events-{n}.jsonl.gz", lines)
        batch_lines = sum(len(lines) for lines in files)
        stats["batches"][date.isoformat()] = batch_lines
        stats["lines"] += batch_lines
        stats["files"] += len(files)

    stats["faults"] = dict(faults)
    stats["users"] = users
    stats["workspaces"] = len(population.workspaces)
    stats["dropped_after_period"] = state["dropped"]
    stats["late_batches"] = sorted(d.isoformat() for d in late_dates)
    return stats
