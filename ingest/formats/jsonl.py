"""JSON-lines raw events (contract v1)."""

from __future__ import annotations

from datetime import date

import orjson

from ingest.contract import Limits, Rejection, validate
from ingest.reader import Line


def line_rejection(line: Line) -> Rejection | None:
    """Rejections every text format shares: damaged fragments, huge, blank or non-UTF-8 lines."""
    if line.fragment:
        return Rejection("damaged_file_fragment", "incomplete last line of a damaged file")
    if line.too_long:
        return Rejection("line_too_long", "line longer than 1 MiB")
    if not line.data.strip():
        return Rejection("blank_line", "empty line")
    return None


def utf8_rejection(data: bytes) -> Rejection | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection("invalid_utf8", f"byte {exc.start}: {exc.reason}")
    return None


def parse_jsonl(line: Line, batch_date: date, limits: Limits) -> tuple[list, bool] | Rejection:
    rejected = line_rejection(line)
    if rejected is not None:
        return rejected
    try:
        obj = orjson.loads(line.data)
    except orjson.JSONDecodeError as exc:
        # orjson also refuses bad UTF-8; tell the two apart only on this slow path
        if "depth limit" in str(exc):  # orjson stops at 1024 levels; the contract at 32
            return Rejection("too_deeply_nested", "the JSON nests deeper than the parser's "
                             "1024 levels")
        return utf8_rejection(line.data) or Rejection("invalid_json", str(exc)[:200])
    return validate(obj, batch_date, limits)
