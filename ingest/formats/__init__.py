"""Raw log formats: each turns one raw line into contract rows or a Rejection.

A format is a function ``parse(line: Line, batch_date, limits) -> (row, had_offset) | Rejection``
registered in FORMATS; see docs/adding-a-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ingest.contract import Limits, Rejection
from ingest.formats.access_log import parse_access_log
from ingest.formats.jsonl import parse_jsonl
from ingest.reader import Line

Parser = Callable[[Line, date, Limits], "tuple[list, bool] | Rejection"]

FORMATS: dict[str, Parser] = {"jsonl": parse_jsonl, "access_log": parse_access_log}
# `auto` picks the format from the file name (compression suffix ignored).
SUFFIXES: dict[str, str] = {".jsonl": "jsonl", ".json": "jsonl", ".log": "access_log"}


def format_for(name: str, fmt: str = "auto") -> str:
    if fmt != "auto":
        return fmt
    stem = name[:-3] if name.endswith(".gz") else name
    for suffix, found in SUFFIXES.items():
        if stem.endswith(suffix):
            return found
    raise ValueError(f"cannot tell the raw format of {name!r} from its name; "
                     f"use --format ({', '.join(sorted(FORMATS))})")


def get_format(name: str) -> Parser:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown raw format {name!r}; known: {', '.join(sorted(FORMATS))}") from None
