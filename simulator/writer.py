"""Byte-stable batch files: `<out>/<YYYY-MM-DD>/events-<n>.jsonl.gz`.

Reproducible bytes (gzip mtime 0, no file name in the header) let re-runs and tests compare
outputs by hash, and clearing a batch folder first means a re-run never leaves stale files
behind for the ingest to pick up.
"""

from __future__ import annotations

import gzip
from pathlib import Path


def batch_dir(out_dir: Path, date_iso: str) -> Path:
    """Create (or empty of raw event files) the folder of one batch."""
    folder = out_dir / date_iso
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.iterdir()):
        if old.is_file() and (old.name.endswith(".jsonl") or old.name.endswith(".jsonl.gz")):
            old.unlink()
    return folder


def write_jsonl_gz(path: Path, lines: list[bytes]) -> None:
    """One JSON object per line, newline-terminated, gzip with a fixed header."""
    data = b"".join(line + b"\n" for line in lines)
    path.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
