"""The dbt source entry of every log table, generated from its declaration.

`pulse tables sync` writes models/staging/log_tables/_log_tables__sources.yml; a test fails
when the committed file differs from what the declarations generate, so the two cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.tables import log_tables
from warehouse.target import RAW_SCHEMA

SOURCES_PATH = Path("models/staging/log_tables/_log_tables__sources.yml")
HEADER = ("# GENERATED from ingest/tables/*.py by `pulse tables sync`; do not edit by hand.\n"
          "# A test checks this file against the declarations.\n")


def sources_yaml() -> str:
    tables = []
    for name, table in log_tables().items():
        columns = []
        for column in table.schema.columns:
            entry = {"name": column.name, "description": column.description or column.name}
            if not column.nullable:
                entry["data_tests"] = ["not_null"]
            columns.append(entry)
        tables.append({"name": name, "description": table.description, "columns": columns})
    doc = {"version": 2, "sources": [{
        "name": "log_tables",
        "description": "Analyst-declared tables derived from raw events by the ingest job "
                       "(ingest/tables/); loaded like raw.events, one partition per batch.",
        "schema": RAW_SCHEMA,
        "config": {
            "loaded_at_field": "cast(batch_date as timestamp)",
            "freshness": {"warn_after": {"count": 2, "period": "day"},
                          "error_after": {"count": 3, "period": "day"}},
        },
        "tables": tables,
    }]}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=100)


def sync(root: Path) -> bool:
    """Write the generated file; return True when it changed."""
    path = root / SOURCES_PATH
    text = sources_yaml()
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
