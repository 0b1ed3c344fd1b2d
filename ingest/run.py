"""Run the ingest job for a set of batch dates and publish the lake partitions.

One job run covers many batch dates, so start-up and submission costs are paid once per
backfill, not once per day.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mrjob.util import to_lines

from ingest.contract import Limits
from ingest.jobs.ingest_job import IngestJob
from ingest.lake import BatchFailed, Manifest, Publisher, open_lake
from ingest.raw_folder import BatchListing, list_batch

log = logging.getLogger(__name__)
RUNNERS = ("inline", "local", "spark", "hadoop", "emr")
SORT_BUFFER = "256M"  # GNU sort otherwise sizes its buffer from the machine's free memory


class MissingInput(FileNotFoundError):
    """A requested batch has no raw folder: never publish zeros for it."""


@dataclass(frozen=True)
class IngestOptions:
    runner: str = "local"
    fmt: str = "auto"
    limits: Limits = Limits()
    max_quarantine_share: float = 0.05
    mrjob_conf: str | None = None
    lake_format: str = "csv.gz"  # or "parquet"


def raw_inputs(raw_dir: str | Path, batches: list[str], fmt: str = "auto") -> dict[str, BatchListing]:
    """Each batch folder's files to read and skipped entries; a missing folder is an error."""
    root = Path(raw_dir)
    missing = [b for b in batches if not (root / b).is_dir()]
    if missing:
        raise MissingInput(f"no raw folder for batch(es) {', '.join(missing)} under {root}")
    return {batch: list_batch(root, batch, fmt) for batch in batches}


def sorted_output(runner) -> Iterator[bytes]:
    """Job output lines in global key order: reducer parts are contiguous key ranges, so
    reading them by part number (cat_output() does not promise an order) keeps it sorted."""
    output_dir = runner.get_output_dir()
    parts = sorted(p for p in runner.fs.ls(output_dir)
                   if posixpath.basename(p).startswith("part-"))
    for part in parts:
        yield from to_lines(runner.fs.cat(part))


def external_sort(lines: Iterator[bytes], folder: str) -> Iterator[bytes]:
    """Sort output lines on disk (GNU sort, byte order), so memory stays flat."""
    unsorted, ordered = f"{folder}/output.unsorted", f"{folder}/output.sorted"
    with open(unsorted, "wb") as handle:
        handle.writelines(lines)
    subprocess.run(["sort", "-S", SORT_BUFFER, "-T", folder, "-o", ordered, unsorted], check=True,
                   env={**os.environ, "LC_ALL": "C"})
    os.unlink(unsorted)
    with open(ordered, "rb") as handle:
        yield from handle


def _input_lists(files: list[str], folder: str) -> list[str]:
    """Spread file URIs over a few list files, balanced by size: each map task then handles
    many small files, so a year of daily batches costs a few task start-ups, not 365."""
    parts = min(len(files), 2 * (os.cpu_count() or 2))
    buckets: list[tuple[int, list[str]]] = [(0, []) for _ in range(parts)]
    for path in sorted(files, key=lambda f: -os.path.getsize(f)):
        size, members = min(buckets, key=lambda b: b[0])
        buckets.remove((size, members))
        buckets.append((size + os.path.getsize(path), [*members, path]))
    paths = []
    for i, (_, members) in enumerate(sorted(buckets, key=lambda b: b[1])):
        path = f"{folder}/inputs-{i:03d}.txt"
        with open(path, "w") as handle:
            handle.writelines(f + "\n" for f in sorted(members))
        paths.append(path)
    return paths


_SPARK_MASTER = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|yarn"
                           r"|(spark|mesos|k8s)://[^\s/:,]+(:\d+)?(,[^\s/:,]+(:\d+)?)*"
                           r"|k8s://https?://[^\s/:]+(:\d+)?")


def spark_master() -> str:
    """PULSE_SPARK_MASTER for the spark runner (default local[2]), refused in one line unless
    it is a Spark master URL."""
    text = os.environ.get("PULSE_SPARK_MASTER") or "local[2]"
    if not _SPARK_MASTER.fullmatch(text):
        raise ValueError(f"PULSE_SPARK_MASTER={text!r} is not a Spark master: use local, "
                         "local[N], local[*], spark://HOST:PORT, yarn, k8s://HOST:PORT or "
                         "mesos://HOST:PORT")
    return text


def job_args(files: list[str], options: IngestOptions, tmp: str) -> list[str]:
    limits = options.limits
    args = ["-r", options.runner, "--format", options.fmt,
            "--max-late-days", str(-1 if limits.max_late_days is None else limits.max_late_days),
            "--max-future-days", str(limits.max_future_days)]
    if options.mrjob_conf:
        args += ["--conf-path", options.mrjob_conf]
    else:
        args += ["--no-conf"]
    if options.runner == "spark":
        # mrjob's spark runner has no mapper_raw: hand it lists of file URIs instead
        master = spark_master()
        args += ["--input-list", "--python-bin", sys.executable, "--spark-master", master,
                 "--jobconf", "spark.ui.enabled=false"]
        return args + _input_lists(files, tmp)
    if options.runner == "local":
        # one map task per file would start a process per file: group them instead; and cap
        # the external sort's buffer so memory stays flat as input grows
        sort = f"sort -S {SORT_BUFFER} -T {shlex.quote(tmp)} -t '\t' -k 1,1 -s"
        return [*args, "--sort-bin", sort, "--input-list", *_input_lists(files, tmp)]
    return args + files


def ingest(raw_dir: str | Path, lake_uri: str | Path, batch_dates: list[date],
           options: IngestOptions = IngestOptions()) -> dict[str, dict[str, Manifest]]:
    """Ingest the batches in one job run; return the published manifests by batch date, then
    table (``events`` and every log table).

    Raises BatchFailed (after publishing, so the manifests explain why) when any batch's
    quarantine share is over the threshold.
    """
    if options.runner not in RUNNERS:
        raise ValueError(f"unknown runner {options.runner!r}; choose one of {', '.join(RUNNERS)}")
    batches = sorted({d.isoformat() for d in batch_dates})
    listings = raw_inputs(raw_dir, batches, options.fmt)
    files = [f for listing in listings.values() for f in listing.files]
    lake = open_lake(lake_uri)
    publisher = Publisher(lake, batches, options.max_quarantine_share,
                          job_info={"runner": options.runner, "format": options.fmt,
                                    "max_late_days": options.limits.max_late_days},
                          fmt=options.lake_format,
                          skipped={b: listing.skipped for b, listing in listings.items()})
    if files:
        with tempfile.TemporaryDirectory(prefix="pulse-ingest-") as tmp:
            job = IngestJob(args=job_args(files, options, tmp))
            with job.make_runner() as runner:
                runner.run()
                lines = sorted_output(runner)
                if options.runner == "spark":  # Spark partitions by hash: restore key order
                    lines = external_sort(lines, tmp)
                publisher.consume(lines)
    else:
        publisher.consume([])
    manifests = publisher.publish()
    failed = {f"{t} {b}": m.status_reason for b, tables in manifests.items()
              for t, m in tables.items() if not m.ok}
    for batch, tables in manifests.items():
        m = tables["events"]
        log.info("ingested batch %s: %d lines -> %d rows, %d quarantined, %d duplicates",
                 batch, m.input.lines, m.rows, m.quarantined_total, m.duplicates_in_batch)
        if m.input.skipped:
            log.warning("batch %s: skipped %d raw folder entries (manifest input.skipped): %s",
                        batch, len(m.input.skipped),
                        ", ".join(f"{s.name} ({s.reason})" for s in m.input.skipped[:10]))
    if failed:
        raise BatchFailed("; ".join(f"{tb}: {why}" for tb, why in failed.items()))
    return manifests
