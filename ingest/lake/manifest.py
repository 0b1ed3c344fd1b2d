"""The typed partition manifest: what a published partition holds and how its counts reconcile.

On disk it keeps the keys pulse has always written, so existing lakes read unchanged;
``manifest_version`` (absent means 1) lets a reader refuse a shape it does not know. Loading
validates every field, so a damaged manifest fails with one line naming partition and field
instead of a KeyError deep inside a loader or a task.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ingest.lake.files import MANIFEST, Lake, partition_dir
from ingest.schema import EVENTS

MANIFEST_VERSION = 1
MAX_DERIVE_ERROR_SAMPLES = 20


class ManifestError(ValueError):
    """A manifest that cannot be trusted: malformed, missing a field, or of an unknown version."""


def files_checksum(files: Iterable[DataFile]) -> str:
    """The partition checksum: sha256 over its files' sha256s in order (what loads compare)."""
    return hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest()


@dataclass(frozen=True)
class DataFile:
    """One data file of the partition."""

    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class InputFile:
    """What the job read from one raw file (the reader's FileStats)."""

    path: str
    lines: int
    bytes: int
    damaged: bool
    error: str | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class SkippedInput:
    """An entry of the batch folder that was not read, and why (ingest/raw_folder.py)."""

    name: str  # <batch>/<entry>, control characters escaped
    reason: str
    detail: str


@dataclass(frozen=True)
class InputSummary:
    """The batch's raw input; every table of the batch carries the same one. ``skipped``
    (on disk ``input.skipped``, absent in older manifests) lists the folder's other entries."""

    files: tuple[InputFile, ...]
    lines: int
    damaged_files: int
    ts_without_offset: int
    skipped: tuple[SkippedInput, ...] = ()

    @classmethod
    def of(cls, files: Iterable[InputFile], skipped: Iterable[SkippedInput] = ()) -> InputSummary:
        files = tuple(sorted(files, key=lambda f: f.path))
        return cls(files, sum(f.lines for f in files), sum(f.damaged for f in files),
                   sum(f.extra.get("ts_without_offset", 0) for f in files),
                   tuple(sorted(skipped, key=lambda s: s.name)))


@dataclass(frozen=True)
class Manifest:
    """A partition's manifest. Events carry the quarantine fields (None elsewhere); a log
    table carries the derive fields (None for events)."""

    table: str
    batch_date: str
    contract_version: int
    format: str
    columns: tuple[str, ...]
    files: tuple[DataFile, ...]
    rows: int
    checksum: str
    input: InputSummary
    duplicates_in_batch: int
    quarantine_share: float
    max_quarantine_share: float
    status: str
    status_reason: str | None
    job: dict[str, Any] = field(default_factory=dict)
    # events only
    quarantined: dict[str, int] | None = None
    quarantined_total: int | None = None
    quarantine_file: str | None = None
    # log tables only
    derived_from: str | None = None
    derived_rows: int | None = None
    derive_errors: int | None = None
    derive_error_samples: tuple[dict[str, Any], ...] | None = None
    manifest_version: int = MANIFEST_VERSION

    def __post_init__(self) -> None:
        own, other = ((_EVENT_FIELDS, _DERIVE_FIELDS) if self.is_events
                      else (_DERIVE_FIELDS, _EVENT_FIELDS))
        missing = [k for k in own if k != "quarantine_file" and getattr(self, k) is None]
        stray = [k for k in other if getattr(self, k) is not None]
        if missing or stray:
            raise ManifestError(f"{self.partition}: manifest of a {self.kind} table "
                                + (f"lacks {', '.join(missing)}" if missing
                                   else f"must not carry {', '.join(stray)}"))

    @property
    def partition(self) -> str:
        return partition_dir(self.table, self.batch_date)

    @property
    def is_events(self) -> bool:
        """Events are parsed from raw lines; every other table is derived from them."""
        return self.table == EVENTS.name

    @property
    def kind(self) -> str:
        return "source" if self.is_events else "derived"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def reconciled(self) -> bool:
        """Every count is accounted for. Events: input lines = rows + quarantined + duplicates;
        a log table: rows its declaration derived = rows + duplicates."""
        if self.is_events:
            return self.input.lines == self.rows + self.quarantined_total + self.duplicates_in_batch
        return self.derived_rows == self.rows + self.duplicates_in_batch

    @classmethod
    def build(cls, table: str, batch_date: str, *, contract_version: int, fmt: str,
              columns: Iterable[str], files: Iterable[DataFile], rows: int,
              inputs: Iterable[InputFile], duplicates: int, max_quarantine_share: float,
              job: dict[str, Any], quarantined: Mapping[str, int] | None = None,
              quarantine_file: str | None = None,
              derive_errors: Iterable[dict[str, Any]] = (),
              skipped: Iterable[SkippedInput] = ()) -> Manifest:
        """A new partition's manifest; the share of rejected input decides its status."""
        files, summary = tuple(files), InputSummary.of(inputs, skipped)
        common = dict(table=table, batch_date=batch_date, contract_version=contract_version,
                      format=fmt, columns=tuple(columns), files=files, rows=rows,
                      checksum=files_checksum(files), input=summary,
                      duplicates_in_batch=duplicates, max_quarantine_share=max_quarantine_share,
                      job=job)
        if table == EVENTS.name:
            reasons = dict(sorted((quarantined or {}).items()))
            total = sum(reasons.values())
            share = total / summary.lines if summary.lines else 0.0
            specific = dict(quarantined=reasons, quarantined_total=total,
                            quarantine_file=quarantine_file)
            what = "quarantine"
        else:
            errors = tuple(derive_errors)
            derived = sum(f.extra.get("derived", {}).get(table, 0) for f in summary.files)
            share = len(errors) / (derived + len(errors)) if errors else 0.0
            specific = dict(derived_from=EVENTS.name, derived_rows=derived,
                            derive_errors=len(errors),
                            derive_error_samples=errors[:MAX_DERIVE_ERROR_SAMPLES])
            what = "derive error"
        failed = share > max_quarantine_share
        return cls(**common, **specific, quarantine_share=round(share, 6),
                   status="failed" if failed else "ok",
                   status_reason=(f"{what} share {share:.2%} exceeds {max_quarantine_share:.2%}"
                                  if failed else None))

    def to_dict(self) -> dict[str, Any]:
        """The on-disk shape: today's keys (``reconciled`` included) plus ``manifest_version``."""
        out: dict[str, Any] = {
            "manifest_version": self.manifest_version,
            "table": self.table,
            "batch_date": self.batch_date,
            "contract_version": self.contract_version,
            "format": self.format,
            "columns": list(self.columns),
            "files": [vars(f) for f in self.files],
            "rows": self.rows,
            "checksum": self.checksum,
            "input": {"files": [vars(f) for f in self.input.files], "lines": self.input.lines,
                      "damaged_files": self.input.damaged_files,
                      "ts_without_offset": self.input.ts_without_offset,
                      "skipped": [vars(s) for s in self.input.skipped]},
            "duplicates_in_batch": self.duplicates_in_batch,
            "max_quarantine_share": self.max_quarantine_share,
            "job": self.job,
            "reconciled": self.reconciled,
            "quarantine_share": self.quarantine_share,
            "status": self.status,
            "status_reason": self.status_reason,
        }
        for key in _EVENT_FIELDS if self.is_events else _DERIVE_FIELDS:
            value = getattr(self, key)
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any], where: str | None = None) -> Manifest:
        """Parse and validate; ``where`` names the partition in errors (else read from the data)."""
        if not isinstance(data, Mapping):
            try:
                data = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise ManifestError(f"{where or 'manifest'}: not valid JSON ({exc})") from None
        if not isinstance(data, Mapping):
            raise ManifestError(f"{where or 'manifest'}: not a JSON object")
        if where is None:
            table, batch = data.get("table"), data.get("batch_date")
            where = (partition_dir(table, batch) if isinstance(table, str) and isinstance(batch, str)
                     else "manifest")
        get = _Fields(data, where)
        version = get.take("manifest_version", int, default=1)
        if version > MANIFEST_VERSION:
            raise ManifestError(f"{where}: manifest_version {version} is newer than this pulse "
                                f"reads ({MANIFEST_VERSION})")
        table = get.take("table", str)
        events = table == EVENTS.name
        inp = get.sub("input")
        specific: dict[str, Any] = {}
        if events:
            specific = dict(quarantined=get.take("quarantined", dict),
                            quarantined_total=get.take("quarantined_total", int),
                            quarantine_file=get.take("quarantine_file", str, nullable=True))
            for reason, count in specific["quarantined"].items():
                if not isinstance(count, int) or isinstance(count, bool):
                    raise ManifestError(f"{where}: manifest field 'quarantined.{reason}' should be "
                                        f"an integer, got {type(count).__name__}")
        else:
            specific = dict(derived_from=get.take("derived_from", str),
                            derived_rows=get.take("derived_rows", int),
                            derive_errors=get.take("derive_errors", int),
                            derive_error_samples=tuple(get.each("derive_error_samples",
                                                                lambda s: s.data)))
        return cls(
            manifest_version=version,
            table=table,
            batch_date=get.take("batch_date", str),
            contract_version=get.take("contract_version", int),
            format=get.take("format", str),
            columns=tuple(get.strings("columns")),
            files=tuple(get.each("files", lambda f: DataFile(
                f.take("name", str), f.take("rows", int), f.take("bytes", int),
                f.take("sha256", str)))),
            rows=get.take("rows", int),
            checksum=get.take("checksum", str),
            input=InputSummary(
                files=tuple(inp.each("files", lambda f: InputFile(
                    f.take("path", str), f.take("lines", int), f.take("bytes", int),
                    f.take("damaged", bool), f.take("error", str, nullable=True),
                    f.take("extra", dict)))),
                lines=inp.take("lines", int), damaged_files=inp.take("damaged_files", int),
                ts_without_offset=inp.take("ts_without_offset", int),
                skipped=tuple(inp.each("skipped", lambda s: SkippedInput(
                    s.take("name", str), s.take("reason", str), s.take("detail", str)),
                    optional=True))),
            duplicates_in_batch=get.take("duplicates_in_batch", int),
            quarantine_share=get.take("quarantine_share", float),
            max_quarantine_share=get.take("max_quarantine_share", float),
            status=get.take("status", str),
            status_reason=get.take("status_reason", str, nullable=True),
            job=get.take("job", dict),
            **specific,
        )


_EVENT_FIELDS = ("quarantined", "quarantined_total", "quarantine_file")
_DERIVE_FIELDS = ("derived_from", "derived_rows", "derive_errors", "derive_error_samples")
_NO_DEFAULT = object()
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               dict: "an object", list: "an array"}


class _Fields:
    """Typed field access into one JSON object; errors name the partition and the field path."""

    def __init__(self, data: Mapping[str, Any], where: str, path: str = "") -> None:
        self.data, self.where, self.path = data, where, path

    def fail(self, key: str, problem: str) -> ManifestError:
        return ManifestError(f"{self.where}: manifest field '{self.path}{key}' {problem}")

    def take(self, key: str, kind: type, nullable: bool = False, default: Any = _NO_DEFAULT) -> Any:
        if key not in self.data:
            if default is not _NO_DEFAULT:
                return default
            raise self.fail(key, "is missing")
        value = self.data[key]
        if value is None and nullable:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"should be {_TYPE_NAMES[kind]}{' or null' if nullable else ''}, "
                                 f"got {type(value).__name__}")
        return value

    def strings(self, key: str) -> list[str]:
        values = self.take(key, list)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{i}]", f"should be a string, got {type(value).__name__}")
        return values

    def sub(self, key: str) -> _Fields:
        return _Fields(self.take(key, dict), self.where, f"{self.path}{key}.")

    def each(self, key: str, make, optional: bool = False) -> list:
        out = []
        for i, item in enumerate(self.take(key, list, **({"default": []} if optional else {}))):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", f"should be an object, got {type(item).__name__}")
            out.append(make(_Fields(item, self.where, f"{self.path}{key}[{i}].")))
        return out


def read_manifest(lake: Lake, table: str, batch: str) -> Manifest | None:
    """The published manifest of a partition, or None when it is not (fully) published."""
    where = f"{partition_dir(table, batch)}/{MANIFEST}"
    data = lake.read_bytes(where)
    return Manifest.from_json(data, where) if data is not None else None
