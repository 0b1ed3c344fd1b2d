"""What a raw batch folder holds: the files ingest reads, and every other entry with the
reason it was skipped (docs/raw-event-contract.md, "What a batch folder may hold").

Nothing in a batch folder is ignored without a record: the skipped entries go into the
batch's manifest, so a file that was never read is as visible as one that was.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.formats import format_for
from ingest.lake.manifest import SkippedInput

SKIP_REASONS = ("hidden_name", "subfolder", "dangling_symlink", "not_a_regular_file",
                "unknown_format", "unsafe_name")
# control characters (tab, newline, US ...), undecodable bytes (surrogate escapes) and the
# line/paragraph separators: names travel through tab- and newline-separated job files
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class BatchListing:
    """A batch folder's entries: files to read (absolute, symlinks kept as found) and the rest."""

    files: tuple[str, ...]
    skipped: tuple[SkippedInput, ...]


def unsafe_name(name: str) -> bool:
    return any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in name)


def printable(name: str) -> str:
    """The name as it can be shown and stored: control characters and undecodable bytes
    escaped as Python writes them (``a\\tb.jsonl``, ``\\udcff.jsonl``)."""
    if not unsafe_name(name):
        return name
    return "".join(ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in name)


def _why_skipped(path: Path, name: str, fmt: str) -> tuple[str, str] | None:
    """(reason, detail) when the entry is not read, None for a file to ingest."""
    if unsafe_name(name):
        return ("unsafe_name", "the name has a control character or bytes that are not UTF-8; "
                               "rename the file to ingest it")
    if name.startswith((".", "_")):
        return "hidden_name", "names starting with '.' or '_' are temporary or marker files"
    try:
        info = path.stat()  # follows a symlink: what matters is what it points to
    except OSError as exc:
        if path.is_symlink():
            return "dangling_symlink", f"points to {printable(os.readlink(path))}: {exc.strerror}"
        raise  # an entry that cannot be examined at all: an infrastructure error
    link = " (a symlink)" if path.is_symlink() else ""
    if stat.S_ISDIR(info.st_mode):
        return "subfolder", f"a folder{link}; a batch folder is flat and folders are not read"
    if not stat.S_ISREG(info.st_mode):
        return "not_a_regular_file", f"not a regular file{link} (a FIFO, socket or device)"
    try:
        format_for(name, fmt)
    except ValueError:
        return "unknown_format", "no raw format claims this name (use --format to read it anyway)"
    return None


def list_batch(root: str | Path, batch: str, fmt: str = "auto") -> BatchListing:
    """Classify every entry directly inside ``<root>/<batch>/``, in name order.

    Paths keep the batch folder as found (only `root` is resolved), so a symlink counts for
    the batch it sits in, never for its target's folder.
    """
    folder = Path(root).resolve() / batch
    files: list[str] = []
    skipped: list[SkippedInput] = []
    for name in sorted(os.listdir(folder)):
        path = folder / name
        why = _why_skipped(path, name, fmt)
        if why is None:
            files.append(str(path))
        else:
            skipped.append(SkippedInput(f"{batch}/{printable(name)}", *why))
    return BatchListing(tuple(files), tuple(skipped))
