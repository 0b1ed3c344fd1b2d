"""Named pause points, so reliability tests can stop a run at an exact moment and kill it.

Inactive unless ``PULSE_PAUSE_AT`` names the point (comma-separated). When reached, the run
writes ``<PULSE_PAUSE_DIR>/<point>.reached`` and waits until ``<point>.release`` appears (or
10 minutes pass). Points: ``ingest:<date>``, ``load:<date>`` (inside the load transaction,
after the rows are staged), ``dbt:<model>`` (dbt is frozen with SIGSTOP right after it
reports the model built).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def armed_points(prefix: str = "") -> list[str]:
    """The armed points that start with prefix."""
    return [p.strip() for p in os.environ.get("PULSE_PAUSE_AT", "").split(",")
            if p.strip().startswith(prefix) and p.strip()]


def armed(point: str) -> bool:
    return point in armed_points()


def _file(point: str, suffix: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in point)
    return Path(os.environ.get("PULSE_PAUSE_DIR", ".")) / f"{safe}.{suffix}"


def pause(point: str, max_wait: float = 600.0) -> None:
    """Block at this point if a test armed it."""
    if not armed(point):
        return
    _file(point, "reached").write_text(str(os.getpid()))
    stop = time.monotonic() + max_wait
    while not _file(point, "release").exists() and time.monotonic() < stop:
        time.sleep(0.05)
