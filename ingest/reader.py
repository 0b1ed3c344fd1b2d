"""Read raw log files line by line, surviving damaged gzip streams and huge lines.

A corrupt or truncated gzip member must not lose the lines before the damage, and a
pathological line must not exhaust memory, so lines are read with a size cap.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_LINE_BYTES = 1024 * 1024  # 1 MiB; longer lines are quarantined as line_too_long
KEPT_PREFIX_BYTES = 1024  # how much of an over-long line the quarantine keeps
_CHUNK = 64 * 1024


@dataclass
class FileStats:
    """What was read from one raw file; written to the manifest."""

    path: str
    lines: int = 0
    bytes: int = 0
    damaged: bool = False
    error: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    data: bytes  # without the trailing newline; only a prefix when too_long
    too_long: bool = False
    fragment: bool = False  # incomplete last line of a damaged file


def open_raw(path: Path, name: str) -> BinaryIO:
    """Gzip when named ``*.gz`` and the bytes say so: a runner may hand over an already
    decompressed copy, and a plain file's bytes must always all be read as lines."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if name.endswith(".gz") and magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _skip_rest_of_line(handle: BinaryIO) -> int:
    skipped = 0
    while True:
        chunk = handle.readline(_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def read_lines(path: str | Path, stats: FileStats) -> Iterator[Line]:
    """Yield the lines of a plain or gzip file; record damage in `stats` instead of raising."""
    number = 0
    pending: bytes | None = None
    handle = open_raw(Path(path), stats.path)  # cannot open = an infrastructure error: raise
    try:
        with handle:
            while True:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                number += 1
                stats.bytes += len(raw)
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    stats.bytes += _skip_rest_of_line(handle)
                    stats.lines = number
                    yield Line(number, raw[:KEPT_PREFIX_BYTES], too_long=True)
                    continue
                if raw.endswith(b"\n"):
                    stats.lines = number
                    yield Line(number, raw[:-1].rstrip(b"\r"))
                else:
                    # last line without newline: only complete if the stream ends cleanly
                    pending = raw
    except (EOFError, OSError, zlib.error) as exc:  # damage inside the stream
        stats.damaged = True
        stats.error = f"{type(exc).__name__}: {exc}"[:500]
    if pending is not None:
        stats.lines = number
        yield Line(number, pending.rstrip(b"\r"), fragment=stats.damaged)
