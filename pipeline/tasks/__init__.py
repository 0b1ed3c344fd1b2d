"""Luigi tasks of pulse's daily pipeline: raw batch → ingest → load → transform → check →
publish → monitor, one module per stage.

Each task is complete only when its own output exists (lake manifest, load audit row, run
state row, published_batches row), and every output is written after the data it vouches
for, so a crash anywhere leaves the task incomplete and a rerun picks it up. A team adds its
own tasks by subclassing `PulseTask` (implement ``execute`` and ``complete``) and requiring
them from, or adding them beside, these.
"""

from __future__ import annotations

from pipeline.tasks.base import BatchTask, PulseTask
from pipeline.tasks.check import CheckFailed, CheckTask
from pipeline.tasks.graph import PulseRun
from pipeline.tasks.ingest import IngestTask, RawBatch
from pipeline.tasks.load import LoadTask
from pipeline.tasks.monitor import MonitorTask
from pipeline.tasks.publish import PublishTask
from pipeline.tasks.transform import TransformTask, TransientDbtError

__all__ = ["BatchTask", "CheckFailed", "CheckTask", "IngestTask", "LoadTask", "MonitorTask",
           "PublishTask", "PulseRun", "PulseTask", "RawBatch", "TransformTask", "TransientDbtError"]
