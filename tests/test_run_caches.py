"""What `pulse run` shares across its tasks to keep a long window's per-task cost small: lake
digests of unchanged files (`ingest.lake.files.digest_cache`) and a local Luigi scheduler
whose `count_pending` skips the upstream walk; neither may change what a task sees."""

from __future__ import annotations

import hashlib
import os

import luigi
import luigi.scheduler
import pytest

from ingest.lake import open_lake
from ingest.lake.files import digest_cache
from pipeline.progress import LocalScheduler


def test_digest_cache_rehashes_a_file_once_it_changes(tmp_path):
    lake = open_lake(tmp_path)
    path = tmp_path / "events" / "part.csv.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"first")
    with digest_cache():
        first = lake.digest("events/part.csv.gz")
        assert lake.digest("events/part.csv.gz") == first
        path.write_bytes(b"other")  # same size, written in place
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**9))
        changed = lake.digest("events/part.csv.gz")
        assert changed != first and changed == (5, hashlib.sha256(b"other").hexdigest())
        path.unlink()
        assert lake.digest("events/part.csv.gz") is None


class _Leaf(luigi.Task):
    n = luigi.IntParameter()

    def complete(self) -> bool:
        return False


class _Top(luigi.Task):
    def requires(self):
        return [_Leaf(n=i) for i in range(5)]

    def complete(self) -> bool:
        return False


@pytest.mark.parametrize("disabled", [False, True])
def test_local_scheduler_counts_pending_like_luigis(disabled):
    counts = []
    for cls in (luigi.scheduler.Scheduler, LocalScheduler):
        scheduler = cls(prune_on_get_work=True, record_task_history=False)
        top = _Top()
        leaves = top.requires()
        scheduler.add_task(worker="w", task_id=top.task_id, status=luigi.scheduler.PENDING,
                           deps=[leaf.task_id for leaf in leaves], family="_Top")
        for leaf in leaves:
            scheduler.add_task(worker="w", task_id=leaf.task_id, status=luigi.scheduler.PENDING,
                               deps=[], family="_Leaf")
        if disabled:  # a disabled leaf hides its dependent from the count
            scheduler.add_task(worker="w", task_id=leaves[0].task_id,
                               status=luigi.scheduler.DISABLED, family="_Leaf")
        result = scheduler.count_pending("w")
        counts.append({k: result[k] for k in ("n_pending_tasks", "n_unique_pending",
                                              "n_pending_last_scheduled")})
    assert counts[0] == counts[1]
    assert counts[0]["n_pending_tasks"] == (4 if disabled else 6)
