"""What `pulse status` and `pulse run` print: latest runs, incomplete work, time per stage."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from ingest.lake import open_lake, read_manifest
from pipeline.settings import date_range
from warehouse import meta
from warehouse.clients import client_class
from warehouse.locks import connection
from warehouse.target import Target

STAGES = ("ingest", "load", "transform", "check", "publish", "monitor")

log = logging.getLogger(__name__)


def stage_of(task_family: str) -> str:
    """IngestTask -> ingest; a team's own task families keep their name."""
    name = task_family[:-4] if task_family.endswith("Task") else task_family
    return name.lower()


def _events_manifests(lake: str, start: date, end: date) -> list:
    return [m for d in date_range(start, end)
            if (m := read_manifest(open_lake(lake), "events", d.isoformat())) is not None]


SKIPPED_SHOWN = 5  # entries named on the line; the manifests hold them all


def skipped_summary(lake: str, start: date, end: date) -> str | None:
    """One line naming the raw folder entries the window's batches did not read, or None."""
    skipped = [s for m in _events_manifests(lake, start, end) for s in m.input.skipped]
    if not skipped:
        return None
    shown = ", ".join(f"{s.name} ({s.reason})" for s in skipped[:SKIPPED_SHOWN])
    more = f" and {len(skipped) - SKIPPED_SHOWN} more" if len(skipped) > SKIPPED_SHOWN else ""
    return (f"skipped {len(skipped)} raw folder entr{'y' if len(skipped) == 1 else 'ies'} "
            f"(not read; listed in the manifests' input.skipped): {shown}{more}")


def run_summary(target: Target, lake: str, start: date, end: date, run_id: str) -> str:
    """One line: lines → rows from the manifests, what this run executed, what is published."""
    manifests = _events_manifests(lake, start, end)
    lines = sum(m.input.lines for m in manifests)
    rows = sum(m.rows for m in manifests)
    quarantined = sum(m.quarantined_total for m in manifests)
    dups = sum(m.duplicates_in_batch for m in manifests)
    damaged = [f.path for m in manifests for f in m.input.files if f.damaged]
    if damaged:
        log.warning("%d damaged raw file(s), lines before the damage were kept: %s",
                    len(damaged), ", ".join(damaged[:10]))
    ran: list[tuple[str, str, int]] = []
    published: list[date] = []
    failed: list[tuple[date, str, str]] = []
    rebuilt = None
    with connection(target) as client:
        if meta.is_set_up(client):  # a run that failed before its set-up step ran nothing
            ran = meta.run_task_counts(client, run_id)
            published = meta.published_in_window(client, start, end)
            failed = meta.failed_batch_tasks(client, run_id)
            transform = meta.read_state(client, "transform", "dbt")
            if transform and transform.run_id == run_id and transform.status == "done" \
                    and "--full-refresh" in (transform.detail or ""):
                rebuilt = transform.detail
    days = (end - start).days + 1
    tasks = ", ".join(f"{stage_of(f)} {n} {s}" for f, s, n in ran) or "nothing to do"
    # a date with a failed task in this run is not called published, whatever an older run did
    failed_dates = {day for day, _family, _task in failed}
    good = [day for day in published if day not in failed_dates]
    return (f"{lines:,} lines -> {rows:,} rows, {quarantined:,} quarantined, {dups:,} duplicates; "
            f"tasks run: {tasks}; {len(good)}/{days} date(s) published"
            + (f"; failed: {', '.join(dict.fromkeys(f'{stage_of(f)} {d}' for d, f, _ in failed))}"
               if failed else "")
            + (f"; {rebuilt}" if rebuilt else ""))


def _fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def status_report(target: Target, runs: int = 5) -> str:
    """Latest runs, what is incomplete, and where the time went per stage for the last runs."""
    out: list[str] = [f"warehouse {target.describe()}"]
    if not client_class(target).exists(target):  # only reads: never creates the warehouse
        return f"nothing is built yet in {target.describe()}: run `pulse run` first"
    with connection(target) as client:
        if not meta.is_set_up(client):  # only reads: never creates pulse_meta
            return "\n".join([*out, f"\nlatest runs (newest first, last {runs}):",
                              "  (no runs recorded: pulse_meta is not set up yet)"])
        latest = meta.latest_runs(client, runs)
        run_ids = [r[0] for r in latest]
        timings = meta.stage_timings(client, run_ids)
        unfinished = meta.unfinished_tasks(client, 20)
        unpublished = meta.unpublished_batches(client)
        transform = meta.stage_states(client, "transform")
        invalid = meta.stage_markers(client, "verify")
        count, first, last = meta.published_summary(client)
    out.append(f"\nlatest runs (newest first, last {runs}):")
    out.append(f"  {'run_id':28} {'started (UTC)':19}  {'wall':>8} {'tasks':>5} {'done':>5} "
               f"{'failed':>6} {'unfinished':>10}")
    for run_id, started, finished, n, done, failed, running in latest:
        wall = (finished - started).total_seconds() if finished else None
        out.append(f"  {run_id:28} {started:%Y-%m-%d %H:%M:%S}  {_fmt_seconds(wall):>8} {n:5d} "
                   f"{done:5d} {failed:6d} {running:10d}")
    if not latest:
        out.append("  (no runs recorded)")
    out.append("\nincomplete:")
    header = len(out)
    for task_id, status, started, error in unfinished:
        out.append(f"  {status:9} {task_id} (started {started:%Y-%m-%d %H:%M:%S})"
                   + (f": {error.splitlines()[0][:150]}" if error else ""))
    for batch, load_id in unpublished:
        marker = invalid.get(str(batch))
        why = (f": failed verification in run {marker.run_id}: {(marker.detail or '')[:300]}"
               if marker is not None and marker.load_id == load_id else "")
        out.append(f"  unpublished batch {batch} (load {load_id}){why}")
    for status, load_id, run_id in transform:
        if status != "done":
            out.append(f"  transform {status} at load {load_id} (run {run_id}); the next run does dbt retry")
    if len(out) == header:
        out.append("  nothing")
    out.append(f"\npublished: {count} batch date(s)" + (f", {first} .. {last}" if count else ""))
    per_run: dict[str, dict[str, float]] = defaultdict(dict)
    for run_id, family, seconds, _ in timings:
        per_run[run_id][stage_of(family)] = float(seconds or 0.0)
    stages = list(STAGES) + sorted({s for v in per_run.values() for s in v} - set(STAGES))
    out.append(f"\ntime per stage (sum of task durations), last {runs} runs:")
    out.append(f"  {'run_id':28} " + " ".join(f"{s:>10}" for s in stages) + f" {'total':>10}")
    for run_id in run_ids:
        cells = per_run.get(run_id, {})
        out.append(f"  {run_id:28} " + " ".join(f"{_fmt_seconds(cells.get(s)):>10}" for s in stages)
                   + f" {_fmt_seconds(sum(cells.values())):>10}")
    return "\n".join(out)
