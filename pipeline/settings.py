"""The settings of one `pulse run`: typed, frozen, computed once from the request.

They cross the Luigi boundary as ONE insignificant task parameter (`RunSettingsParameter`,
JSON via `RunSettings.to_json`/`from_json`), parsed at most once per process: every task of
a run reads the same object instead of rebuilding a Target or re-parsing the window.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date, timedelta

import luigi
import orjson
from luigi.parameter import ParameterVisibility

from ingest.contract import Limits
from ingest.lake.files import s3_endpoint_url
from ingest.run import IngestOptions, spark_master
from warehouse.target import Target, state_root

MONITOR_CHOICES = ("last", "none")


def check_environment() -> None:
    """The environment variables every command may read, besides the warehouse's own
    (warehouse.target.target_from_env) and the retry settings: parsed and checked before any
    work; a bad one is a ValueError naming it and its value."""
    state_root()  # PULSE_STATE_DIR
    s3_endpoint_url()  # PULSE_S3_ENDPOINT_URL
    spark_master()  # PULSE_SPARK_MASTER


def date_range(start: date, end: date) -> list[date]:
    """Every date of [start, end]; an inverted window is an error."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True)
class RunSettings:
    """What every task of one run shares (no secrets: the Target holds none)."""

    run_id: str
    target: Target
    raw: str  # absolute path of the raw folder
    lake: str  # absolute path or s3:// URI
    start: date
    end: date
    ingest: IngestOptions = IngestOptions()
    full_refresh: bool = False
    skip_dbt: bool = False
    monitor: str = "last"  # run the monitors for the newest date after publishing; or "none"
    task_timeout_seconds: float = 3600.0
    dbt_timeout_seconds: float = 3 * 3600.0
    failures_dir: str | None = None  # where a failing task leaves its record for the parent
    lock_wait_seconds: float = 600.0  # how long a task queues for a single-writer warehouse

    def __post_init__(self) -> None:
        date_range(self.start, self.end)  # validates the window
        if self.monitor not in MONITOR_CHOICES:
            raise ValueError(f"monitor must be one of {', '.join(MONITOR_CHOICES)}, not {self.monitor!r}")

    @functools.cached_property
    def dates(self) -> tuple[date, ...]:
        """The batch dates of the window, in order."""
        return tuple(date_range(self.start, self.end))

    def to_json(self) -> str:
        return _to_json(self)

    @classmethod
    def from_json(cls, text: str) -> RunSettings:
        return _from_json(text)


@functools.lru_cache(maxsize=16)
def _to_json(settings: RunSettings) -> str:
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    fields["target"] = dataclasses.asdict(settings.target)
    fields["ingest"] = dataclasses.asdict(settings.ingest)
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode()


@functools.lru_cache(maxsize=16)
def _from_json(text: str) -> RunSettings:
    data = orjson.loads(text)
    ingest = data.pop("ingest")
    return RunSettings(
        **{**data, "target": Target(**data["target"]),
           "start": date.fromisoformat(data["start"]), "end": date.fromisoformat(data["end"]),
           "ingest": IngestOptions(**{**ingest, "limits": Limits(**ingest["limits"])})})


class RunSettingsParameter(luigi.Parameter):
    """A run's `RunSettings` as one private, insignificant Luigi parameter: task ids stay the
    same across runs, and the JSON form (for a central scheduler) is parsed once per process."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("description", "run settings shared by every task of a run")
        super().__init__(significant=False, visibility=ParameterVisibility.PRIVATE, **kwargs)

    def parse(self, x: str) -> RunSettings:
        return RunSettings.from_json(x)

    def serialize(self, x: RunSettings) -> str:
        return x.to_json()

    def normalize(self, x: RunSettings | str) -> RunSettings:
        if isinstance(x, str):
            return RunSettings.from_json(x)
        if not isinstance(x, RunSettings):
            raise TypeError(f"settings must be RunSettings, not {type(x).__name__}")
        return x
