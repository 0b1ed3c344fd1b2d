"""`pulse query "SQL"`: DuckDB over the lake's published partitions (docs/explore.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

PROMPT, MORE = "pulse> ", "  ...> "


def _statements() -> Iterator[str]:
    """Read SQL from the prompt; a statement ends with ';'. Ctrl-D or \\q ends the session."""
    import contextlib

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history for input()
    buf: list[str] = []
    while True:
        try:
            line = input(MORE if buf else PROMPT)
        except EOFError:
            print()
            return
        if not buf and line.strip() in ("\\q", "exit", "quit"):
            return
        buf.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buf)
            buf = []


def _show(session, sql: str, fmt: str) -> None:
    from explore.output import footer, render

    result = session.run(sql)
    sys.stdout.write(render(result, fmt))
    if fmt == "table":
        print(footer(result), file=sys.stderr)


def cmd_query(args: argparse.Namespace) -> int:
    from explore.lake_views import LakeError
    from explore.query import LakeSession, QueryError
    from explore.sampling import SampleError, parse_rate
    from ingest.lake import ManifestError

    if args.sql and args.file:
        print("pulse query: give SQL or -f FILE, not both", file=sys.stderr)
        return 2
    try:
        rate = parse_rate(args.sample) if args.sample else None
        sql = Path(args.file).read_text() if args.file else args.sql
    except (SampleError, OSError) as exc:
        print(f"pulse query: {exc}", file=sys.stderr)
        return 2
    try:
        with LakeSession(args.lake, args.cache, rate) as session:
            def warn_if_empty() -> None:
                if not session.cache.any_published():
                    print(f"pulse query: no published partitions under {session.cache.lake.uri} "
                          f"(the views are empty)", file=sys.stderr)

            if sql is not None:
                _show(session, sql, args.fmt)
                if session.partitions and not any(session.partitions.values()):
                    warn_if_empty()  # only looked for when the views the query read were empty
                return 0
            warn_if_empty()
            for statement in _statements():
                try:
                    _show(session, statement, args.fmt)
                except QueryError as exc:
                    print(f"error: {exc}", file=sys.stderr)
            return 0
    except (QueryError, LakeError, ManifestError) as exc:
        print(f"pulse query: {exc}", file=sys.stderr)
        return 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="SQL (DuckDB) over the lake's published partitions")
    p.add_argument("sql", nargs="?", help="the query; none starts an interactive prompt")
    p.add_argument("-f", "--file", help="read the query from a file")
    p.add_argument("--lake", default="data/lake", help="lake folder or s3://bucket/prefix")
    p.add_argument("--cache", default="data/lake-cache",
                   help="local Parquet mirrors and S3 copies, keyed by manifest checksum")
    p.add_argument("--format", dest="fmt", choices=["table", "csv", "json"], default="table",
                   help="output format: an aligned table, CSV, or a JSON array of row objects")
    p.add_argument("--sample", help="answer from a sample of users, e.g. 10%%: counts and sums "
                                    "scaled up, each estimate with its 95%% interval")
    p.set_defaults(func=cmd_query)
