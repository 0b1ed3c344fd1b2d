"""Named pause points, so reliability tests can stop a `pulse run` at an exact moment and kill it.

Installed from the test side only (see sitecustomize.py next to this file): production code
has no test hooks, just the seams these wrap. Inactive unless ``PULSE_PAUSE_AT`` names the
point (comma-separated). When reached, the run writes ``<PULSE_PAUSE_DIR>/<point>.reached``
and waits until ``<point>.release`` appears (or 10 minutes pass). Points:

* ``ingest:<date>``: at the start of that date's IngestTask.execute
* ``load:<date>``: inside that date's load transaction, after the rows are staged (wraps the
  warehouse client's ``copy_into``)
* ``dbt:<model>``: dbt is frozen with SIGSTOP right after it reports the model built (wraps
  ``TransformTask.on_dbt_line``)
* ``publish:<date>``: before the events partition of that date is published to the lake
  (wraps ``ingest.lake.publisher.publish_partition``)

``PULSE_FAIL_AT`` names points that raise instead of pausing: ``publish:<date>`` raises
``OSError(ENOSPC)`` every time it is reached (a disk that stays full). Every window ingest an
IngestTask starts is traced as one JSON line (the dates it covers) in
``<PULSE_PAUSE_DIR>/ingest-calls.jsonl``, so tests count what a rerun re-ingested.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import time
from pathlib import Path


def armed_points(prefix: str = "") -> list[str]:
    """The armed points that start with prefix."""
    return [p.strip() for p in os.environ.get("PULSE_PAUSE_AT", "").split(",")
            if p.strip() and p.strip().startswith(prefix)]


def armed(point: str) -> bool:
    return point in armed_points()


def failing(point: str) -> bool:
    return point in [p.strip() for p in os.environ.get("PULSE_FAIL_AT", "").split(",")]


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


_loading: list[str] = []  # the batch of the LoadTask executing in this process


def install() -> None:
    """Wrap the seams of pipeline.tasks and the warehouse clients (once pipeline.tasks is imported)."""
    import ingest.lake.publisher as publisher
    import pipeline.tasks.ingest as ingest_task
    from pipeline.tasks import IngestTask, LoadTask, TransformTask
    from warehouse.clients import CLIENTS

    window_ingest = ingest_task.ingest

    @functools.wraps(window_ingest)
    def traced_ingest(raw, lake, dates, *args, **kwargs):
        with open(_file("ingest-calls", "jsonl"), "a") as trace:
            trace.write(json.dumps(sorted(d.isoformat() for d in dates)) + "\n")
        return window_ingest(raw, lake, dates, *args, **kwargs)

    ingest_task.ingest = traced_ingest

    publish_partition = publisher.publish_partition

    @functools.wraps(publish_partition)
    def paused_publish(lake, manifest, files):
        if manifest.is_events:
            point = f"publish:{manifest.batch_date}"
            if failing(point):
                raise OSError(errno.ENOSPC, "No space left on device (injected)")
            pause(point)
        return publish_partition(lake, manifest, files)

    publisher.publish_partition = paused_publish

    ingest_execute = IngestTask.execute

    @functools.wraps(ingest_execute)
    def paused_ingest(self):
        pause(f"ingest:{self.batch()}")
        return ingest_execute(self)

    IngestTask.execute = paused_ingest

    load_execute = LoadTask.execute

    @functools.wraps(load_execute)
    def tracked_load(self):
        _loading.append(self.batch())
        try:
            return load_execute(self)
        finally:
            _loading.pop()

    LoadTask.execute = tracked_load

    for client_class in CLIENTS.values():
        copy_into = client_class.copy_into

        def paused_copy(self, *args, _copy_into=copy_into, **kwargs):
            _copy_into(self, *args, **kwargs)
            if _loading:
                pause(f"load:{_loading[-1]}")

        client_class.copy_into = functools.wraps(copy_into)(paused_copy)

    on_dbt_line = TransformTask.on_dbt_line

    @functools.wraps(on_dbt_line)
    def frozen_dbt(self, line, proc):
        on_dbt_line(self, line, proc)
        for point in armed_points("dbt:"):
            if " OK created " in line and f".{point[4:]} " in line:
                os.kill(proc.pid, signal.SIGSTOP)  # freeze dbt mid-run for the test
                pause(point)
                os.kill(proc.pid, signal.SIGCONT)

    TransformTask.on_dbt_line = frozen_dbt
