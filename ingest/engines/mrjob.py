"""The mrjob engine: the ingest job on an mrjob runner (inline, local, spark, hadoop, emr).

mrjob stays the framework for clusters and for the analyst-facing job API; its sorted output
lines go to the lake publisher as they are.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mrjob.util import to_lines

from ingest.jobs.ingest_job import IngestJob
from ingest.lake import Publisher

if TYPE_CHECKING:
    from ingest.run import IngestOptions

RUNNERS = ("inline", "local", "spark", "hadoop", "emr")
SORT_BUFFER = "256M"  # GNU sort otherwise sizes its buffer from the machine's free memory


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


def run(files: list[str], options: IngestOptions, publisher: Publisher) -> None:
    """Run the job over `files` in one go and publish its output."""
    with tempfile.TemporaryDirectory(prefix="pulse-ingest-") as tmp:
        job = IngestJob(args=job_args(files, options, tmp))
        with job.make_runner() as runner:
            runner.run()
            lines = sorted_output(runner)
            if options.runner == "spark":  # Spark partitions by hash: restore key order
                lines = external_sort(lines, tmp)
            publisher.consume(lines)
