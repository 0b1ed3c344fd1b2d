"""Raw log formats: each turns one raw line into contract rows or a Rejection.

A format is a function ``parse(line: Line, batch_date, limits) -> (row, had_offset) | Rejection``
registered in FORMATS; see docs/adding-a-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ingest.contract import Limits, Rejection
from ingest.formats.jsonl import parse_jsonl
from ingest.reader import Line

Parser = Callable[[Line, date, Limits], "tuple[list, bool] | Rejection"]

FORMATS: dict[str, Parser] = {"jsonl": parse_jsonl}


def get_format(name: str) -> Parser:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown raw format {name!r}; known: {', '.join(sorted(FORMATS))}") from None
