"""What `pulse run` shares across its tasks to keep a long window's per-task cost small: one
warehouse connection (`warehouse.locks.shared_connection`), lake digests of unchanged files
(`ingest.lake.files.digest_cache`) and a local Luigi scheduler whose `count_pending` skips
the upstream walk; none of them may change what a task sees."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import luigi
import luigi.scheduler
import pytest

from ingest.lake import open_lake
from ingest.lake.files import digest_cache
from pipeline.progress import LocalScheduler
from warehouse.locks import connection, held, shared_connection, writer_locks


def test_connections_inside_the_block_share_one_client(duckdb_target):
    with shared_connection(duckdb_target):
        with connection(duckdb_target) as first:
            first.execute("create table t (x integer)")
        with connection(duckdb_target) as second:
            assert second is first
    with connection(duckdb_target) as after:  # closed with the block
        assert after is not first
        assert after.fetchall("select count(*) from t") == [(0,)]


def test_an_error_drops_the_shared_client_and_uncommitted_work_is_rolled_back(pg_target):
    with shared_connection(pg_target):
        with connection(pg_target) as client, client.transaction():
            client.execute("create table shared_t (x integer)")
        with connection(pg_target) as client:
            client.execute("insert into shared_t values (1)")  # never committed
        with connection(pg_target) as same:
            assert same is client
            assert same.fetchall("select count(*) from shared_t") == [(0,)]
            with connection(pg_target) as nested:  # nested use: a connection of its own
                assert nested is not same
        with pytest.raises(ZeroDivisionError), connection(pg_target) as broken:
            raise ZeroDivisionError
        with connection(pg_target) as fresh:
            assert fresh is not broken
            assert fresh.fetchall("select count(*) from shared_t") == [(0,)]


def test_the_single_writer_lock_for_another_process_closes_the_shared_connection(duckdb_target):
    probe = ("import duckdb, sys; duckdb.connect(sys.argv[1]).execute('select 1')")
    with shared_connection(duckdb_target):
        with connection(duckdb_target) as client:
            client.execute("create table t (x integer)")
        # held open between uses: another process cannot open the file now
        busy = subprocess.run([sys.executable, "-c", probe, duckdb_target.duckdb_path],
                              capture_output=True, text=True)
        assert busy.returncode != 0 and "lock" in busy.stderr.lower()
        with held(duckdb_target, writer_locks(duckdb_target), 5):  # as TransformTask does for dbt
            ok = subprocess.run([sys.executable, "-c", probe, duckdb_target.duckdb_path],
                                capture_output=True, text=True)
            assert ok.returncode == 0, ok.stderr
        with connection(duckdb_target) as again:  # opened again afterwards
            assert again is not client
            assert again.fetchall("select count(*) from t") == [(0,)]


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
