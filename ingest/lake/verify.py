"""Check a lake partition against its manifest: every listed file present, of the recorded
size and sha256. Loads and `pulse verify` trust a partition only after this says so.

A damaged partition is never repaired here: the caller makes its date incomplete, so a rerun
re-ingests it from raw.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.lake.files import MANIFEST, Lake, sha256_stream
from ingest.lake.manifest import DataFile, Manifest, ManifestError, read_manifest


class LakeDamaged(RuntimeError):
    """A lake file does not match its manifest (missing, other size, other sha256)."""


@dataclass(frozen=True)
class PartitionCheck:
    """What verifying one partition found: its manifest (None when missing or unreadable)
    and every problem, one line each naming the file."""

    table: str
    batch_date: str
    manifest: Manifest | None
    problems: tuple[str, ...]
    missing: bool = False  # no manifest at all (not ingested yet, or deleted)

    @property
    def intact(self) -> bool:
        return self.manifest is not None and not self.problems


def file_problem(where: str, expected: DataFile, found: tuple[int, str] | None) -> str | None:
    """One line naming the file when (size, sha256) found differs from the manifest entry."""
    if found is None:
        return f"{where}: listed in {MANIFEST} but missing"
    size, sha = found
    if size != expected.bytes:
        return f"{where}: {size} bytes, {MANIFEST} says {expected.bytes}"
    if sha != expected.sha256:
        return f"{where}: sha256 {sha[:12]}…, {MANIFEST} says {expected.sha256[:12]}…"
    return None


def check_local_file(path: str, where: str, expected: DataFile) -> None:
    """Raise LakeDamaged unless the local file at path is the one the manifest lists."""
    try:
        with open(path, "rb") as handle:
            found: tuple[int, str] | None = sha256_stream(handle)
    except FileNotFoundError:
        found = None
    problem = file_problem(where, expected, found)
    if problem:
        raise LakeDamaged(f"lake file does not match its manifest: {problem}")


def verify_partition(lake: Lake, table: str, batch: str, *, digests: bool = True) -> PartitionCheck:
    """Read the manifest and check each listed file's size and sha256 (``digests=False``:
    only that the manifest is there and readable)."""
    try:
        manifest = read_manifest(lake, table, batch)
    except ManifestError as exc:
        return PartitionCheck(table, batch, None, (str(exc),))
    prefix = f"{table}/batch_date={batch}"
    if manifest is None:
        return PartitionCheck(table, batch, None, (f"{prefix}/{MANIFEST} is missing",), missing=True)
    problems = []
    if digests:
        for entry in manifest.files:  # the quarantine file carries no digest
            rel = f"{prefix}/{entry.name}"
            problem = file_problem(rel, entry, lake.digest(rel))
            if problem:
                problems.append(problem)
    return PartitionCheck(table, batch, manifest, tuple(problems))
