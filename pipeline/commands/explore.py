"""`pulse explore`: the local web explorer over the lake and the marts (docs/explore.md)."""

from __future__ import annotations

import argparse
import sys

from pipeline.cli_args import add_target_argument


def cmd_explore(args: argparse.Namespace) -> int:
    try:
        from explore.app import Sources, serve
    except ImportError as exc:
        print(f"pulse explore: {exc.name} is missing; install the explorer with "
              f"`pip install -e '.[explore]'`", file=sys.stderr)
        return 1
    from explore.lake_views import LakeError
    from explore.query import LakeSession
    from ingest.lake import ManifestError
    from warehouse.target import target_from_env

    if not 0 < args.port < 65536:
        print(f"pulse explore: --port {args.port} is not a TCP port (1-65535)", file=sys.stderr)
        return 2
    try:
        lake = LakeSession(args.lake, args.cache)
        lake.open_all()  # one session serves every view: all partitions, checked at start
    except (LakeError, ManifestError) as exc:
        print(f"pulse explore: {exc}", file=sys.stderr)
        return 1
    target = None if args.no_marts else target_from_env(args.target)
    print(f"pulse explore: http://127.0.0.1:{args.port}/ (lake {lake.cache.lake.uri}; "
          f"marts {target.describe() if target else 'none'}); Ctrl-C stops it", flush=True)
    try:
        serve(Sources(lake, target), port=args.port)
    except OSError as exc:
        print(f"pulse explore: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    finally:
        lake.close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explore", help="local web explorer: trends, funnels, retention, "
                                       "performance, experiments")
    p.add_argument("--lake", default="data/lake", help="lake folder or s3://bucket/prefix")
    p.add_argument("--cache", default="data/lake-cache",
                   help="local Parquet mirrors and S3 copies, keyed by manifest checksum")
    p.add_argument("--port", type=int, default=8050, help="port on 127.0.0.1")
    add_target_argument(p)
    p.add_argument("--no-marts", action="store_true",
                   help="lake views only (no warehouse: retention, regressions, experiments are off)")
    p.set_defaults(func=cmd_explore)
