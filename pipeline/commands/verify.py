"""`pulse verify --from D --to D`: check lake ↔ manifest ↔ load audit ↔ warehouse row counts.

Read-only: it reports and exits 1 when any date has a missing or mismatching piece; the
next `pulse run` of those dates makes them incomplete again and repairs them from raw.
"""

from __future__ import annotations

import argparse

from pipeline.cli_args import add_target_argument, iso_date
from warehouse.target import target_from_env


def cmd_verify(args: argparse.Namespace) -> int:
    from ingest.lake import open_lake
    from pipeline.settings import date_range
    from pipeline.verify import verify_dates
    from warehouse import meta
    from warehouse.locks import connection

    dates = date_range(args.start, args.end or args.start)
    target = target_from_env(args.target)
    lake = open_lake(args.lake)
    with connection(target) as client:
        if not meta.is_set_up(client):  # only reads: never creates pulse_meta
            print(f"pulse verify: nothing published in {target.describe()} yet (pulse_meta is not set up)")
            return 0
        verdicts = verify_dates(client, lake, dates)
    bad = [v for v in verdicts if not v.ok]
    for v in verdicts:
        state = ("published" if v.published else "ingested, not published" if v.ingested
                 else "not ingested")
        print(f"{v.batch_date}  {'ok  ' if v.ok else 'BAD '} {state}")
        for line in v.lines():
            print(f"    {line}")
    print(f"pulse verify {dates[0]}..{dates[-1]} ({lake.uri} ↔ {target.describe()}): "
          f"{len(verdicts) - len(bad)} ok, {len(bad)} with problems"
          + ("; `pulse run` for those dates re-ingests them from raw" if bad else ""))
    return 1 if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check lake files, manifests, load audit and row counts")
    p.add_argument("--from", dest="start", type=iso_date, required=True, help="first batch date")
    p.add_argument("--to", dest="end", type=iso_date, help="last batch date (default: --from)")
    p.add_argument("--lake", default="data/lake", help="lake folder or s3://bucket/prefix")
    add_target_argument(p)
    p.set_defaults(func=cmd_verify)
