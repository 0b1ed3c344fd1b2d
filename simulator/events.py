"""Building raw event records and routing them to their UTC batch day.

One place decides the record layout (key order is fixed, so the JSON bytes are stable) and
where an event lands, so the behaviour code only says *what* happened *when*.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from simulator.clock import format_ts


@dataclass(slots=True)
class Client:
    """Who sends an event and from where: the identity and device part of a record."""

    user_id: str | None
    anonymous_id: str | None
    workspace_id: str | None
    session_id: str | None
    platform: str | None
    app_version: str | None
    country: str | None
    tz: str | None  # IANA zone of the client clock; None means the client sends `Z`
    server: int     # app server (output file) that receives this client's requests

    def but(self, **changes: Any) -> Client:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(slots=True)
class SimulatedEvent:
    """A generated event: its UTC instant (for ordering/batching) and the raw record."""

    ms: int
    seq: int
    server: int
    record: dict[str, Any]


def new_uuid(rng: random.Random) -> str:
    """A UUID4-shaped id drawn from a seeded RNG (reproducible, unlike uuid.uuid4)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class EventFactory:
    """Creates records with fresh deterministic ids and hands them to a sink."""

    def __init__(self, rng: random.Random, sink: Callable[[SimulatedEvent], None]) -> None:
        self.rng = rng
        self.sink = sink
        self.seq = 0

    def emit(self, client: Client, name: str, ms: int,
             properties: dict[str, Any] | None = None) -> SimulatedEvent:
        """Record `name` at UTC `ms` from `client`."""
        self.seq += 1
        record = {
            "event_id": new_uuid(self.rng),
            "event": name,
            "ts": format_ts(ms, client.tz),
            "user_id": client.user_id,
            "anonymous_id": client.anonymous_id,
            "workspace_id": client.workspace_id,
            "session_id": client.session_id,
            "platform": client.platform,
            "app_version": client.app_version,
            "country": client.country,
            "properties": properties,
        }
        event = SimulatedEvent(ms, self.seq, client.server, record)
        self.sink(event)
        return event
