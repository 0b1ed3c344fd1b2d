"""`pulse tables`: list log tables and keep their dbt source entry in sync."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from ingest.table_sources import SOURCES_PATH, sources_yaml, sync
    from ingest.tables import log_tables
    from warehouse.dbt import project_dir

    if args.action == "list":
        for name, table in log_tables().items():
            events = ", ".join(sorted(table.events)) if table.events else "all events"
            print(f"{name}: {len(table.schema.columns)} columns from {events} — {table.description}")
        return 0
    if args.action == "check":
        current = (project_dir() / SOURCES_PATH)
        if not current.exists() or current.read_text() != sources_yaml():
            print(f"{SOURCES_PATH} is out of date: run `pulse tables sync`")
            return 1
        print(f"{SOURCES_PATH} matches the declarations")
        return 0
    changed = sync(project_dir())
    print(f"{'wrote' if changed else 'unchanged:'} {SOURCES_PATH}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("tables", help="log tables declared in ingest/tables/")
    actions = p.add_subparsers(dest="action", required=True)
    for action, text in (("list", "print each declared log table: columns, events, description"),
                         ("sync", "write the dbt source entry of the log tables "
                                  "(models/staging/log_tables/_log_tables__sources.yml)"),
                         ("check", "exit 1 when the dbt source entry is out of date with the "
                                   "declarations")):
        actions.add_parser(action, help=text).set_defaults(func=_run)
