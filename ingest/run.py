"""Run the ingest of a set of batch dates with one engine and publish the lake partitions.

One run covers many batch dates, so start-up and submission costs are paid once per
backfill, not once per day. The engine (docs/runners.md) decides how lines are checked; the
contract, the publisher and so the partitions and manifests are the same for every engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.contract import Limits
from ingest.engines import ENGINES
from ingest.engines.mrjob import RUNNERS, spark_master
from ingest.lake import BatchFailed, Manifest, Publisher, open_lake
from ingest.raw_folder import BatchListing, list_batch

log = logging.getLogger(__name__)
__all__ = ["ENGINES", "RUNNERS", "IngestOptions", "MissingInput", "ingest", "spark_master"]


class MissingInput(FileNotFoundError):
    """A requested batch has no raw folder: never publish zeros for it."""


@dataclass(frozen=True)
class IngestOptions:
    runner: str = "local"  # mrjob runner; only the mrjob engine uses it
    fmt: str = "auto"
    limits: Limits = Limits()
    max_quarantine_share: float = 0.05
    mrjob_conf: str | None = None
    lake_format: str = "csv.gz"  # or "parquet"
    engine: str = "columnar"  # or "mrjob"


def raw_inputs(raw_dir: str | Path, batches: list[str], fmt: str = "auto") -> dict[str, BatchListing]:
    """Each batch folder's files to read and skipped entries; a missing folder is an error."""
    root = Path(raw_dir)
    missing = [b for b in batches if not (root / b).is_dir()]
    if missing:
        raise MissingInput(f"no raw folder for batch(es) {', '.join(missing)} under {root}")
    return {batch: list_batch(root, batch, fmt) for batch in batches}


def ingest(raw_dir: str | Path, lake_uri: str | Path, batch_dates: list[date],
           options: IngestOptions = IngestOptions()) -> dict[str, dict[str, Manifest]]:
    """Ingest the batches in one job run; return the published manifests by batch date, then
    table (``events`` and every log table).

    Raises BatchFailed (after publishing, so the manifests explain why) when any batch's
    quarantine share is over the threshold.
    """
    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    if options.runner not in RUNNERS:
        raise ValueError(f"unknown runner {options.runner!r}; choose one of {', '.join(RUNNERS)}")
    batches = sorted({d.isoformat() for d in batch_dates})
    listings = raw_inputs(raw_dir, batches, options.fmt)
    files = [f for listing in listings.values() for f in listing.files]
    lake = open_lake(lake_uri)
    job_info = {"runner": options.runner, "format": options.fmt,
                "max_late_days": options.limits.max_late_days}
    if options.engine != "mrjob":
        job_info = {"engine": options.engine, **job_info, "runner": None}
    publisher = Publisher(lake, batches, options.max_quarantine_share, job_info=job_info,
                          fmt=options.lake_format,
                          skipped={b: listing.skipped for b, listing in listings.items()})
    if not files:
        publisher.consume([])
    elif options.engine == "mrjob":
        from ingest.engines import mrjob

        mrjob.run(files, options, publisher)
    else:
        from ingest.engines import columnar

        columnar.run(files, options, publisher)
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
