"""Query results as an aligned table, CSV or JSON (estimates carry their 95% interval)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import orjson

from explore.query import Result
from explore.sampling import Estimate

FORMATS = ("table", "csv", "json")


def _flat(result: Result) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows with each Estimate spread into value, ci_low, ci_high."""
    est_cols = {i for row in result.rows for i, v in enumerate(row) if isinstance(v, Estimate)}
    columns: list[str] = []
    for i, name in enumerate(result.columns):
        columns += [name, f"{name}_ci_low", f"{name}_ci_high"] if i in est_cols else [name]
    rows = []
    for row in result.rows:
        out: list[Any] = []
        for i, v in enumerate(row):
            if i in est_cols:
                out += [v.value, v.low, v.high] if isinstance(v, Estimate) else [v, None, None]
            else:
                out.append(v)
        rows.append(out)
    return columns, rows


def _text(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def render(result: Result, fmt: str) -> str:
    if fmt == "csv":
        columns, rows = _flat(result)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue()
    if fmt == "json":
        columns, rows = _flat(result)
        return orjson.dumps([dict(zip(columns, r, strict=False)) for r in rows], default=_json_default,
                            option=orjson.OPT_APPEND_NEWLINE).decode()
    cells = [[_text(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    numeric = [bool(cells) and all(isinstance(r[i], (int, float, Decimal, Estimate))
                                   and not isinstance(r[i], bool) for r in result.rows if r[i] is not None)
               for i in range(len(result.columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=False)).rstrip()

    out = [line(result.columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


def footer(result: Result) -> str:
    """The line under a table: rows, time, and what sampling means for the numbers."""
    text = f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''}, {result.seconds:.3f} s"
    if result.sample_rate is not None:
        text += (f"; {result.sample_rate:.2%} sample of users: counts and sums scaled up, "
                 "each estimate [95% interval]")
    return text + ")"


def _json_default(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return str(v)
    raise TypeError
