"""`pulse reload --from D --to D`: load published lake partitions into the warehouse again.

For a warehouse rebuilt or repaired by hand (or a Redshift cluster restored from a snapshot):
each partition goes through the same generated load sequence as a daily run (stage, dedup on
the key, replace the partition, audit row, one transaction each), even when the audit says
it is loaded already. The rows come out the same under new load ids, so the next `pulse run`
of those dates rebuilds what depends on them. Holds the dates' run locks: a run of the same
dates, here or on another host, is refused meanwhile.
"""

from __future__ import annotations

import argparse

from pipeline.cli_args import add_target_argument, iso_date
from warehouse.target import target_from_env


def cmd_reload(args: argparse.Namespace) -> int:
    from ingest.lake import open_lake
    from ingest.load.loader import reload_batches
    from pipeline.settings import date_range

    dates = [d.isoformat() for d in date_range(args.start, args.end or args.start)]
    target = target_from_env(args.target)
    lake = open_lake(args.lake)
    results = reload_batches(target, lake, dates, args.table or None)
    for r in results:
        print(f"{r.batch_date}  {r.table:<24} {r.rows:>9} rows  load {r.load_id}")
    print(f"pulse reload {dates[0]}..{dates[-1]} ({lake.uri} → {target.describe()}): "
          f"{len(results)} partitions loaded; `pulse run` of those dates rebuilds the models")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reload", help="load published lake partitions into the warehouse again")
    p.add_argument("--from", dest="start", type=iso_date, required=True, help="first batch date")
    p.add_argument("--to", dest="end", type=iso_date, help="last batch date (default: --from)")
    p.add_argument("--lake", default="data/lake", help="lake folder or s3://bucket/prefix")
    p.add_argument("--table", action="append", help="only this table (repeatable; default: all)")
    add_target_argument(p)
    p.set_defaults(func=cmd_reload)
