"""The Redshift load path, checked on the SQL it sends (no Redshift cluster here).

Redshift does not enforce primary keys, so the load must stage, check the count, and
replace the batch inside one transaction; COPY must read an explicit manifest.
"""

from datetime import date

import orjson
import pytest

from ingest.lake import LocalLake
from ingest.load.loader import create_raw_tables, load_partition
from ingest.run import IngestOptions, ingest
from tests.test_ingest import line, write
from warehouse.clients import RedshiftClient
from warehouse.target import Target


class FakeRedshift:
    def __init__(self, staged_rows):
        self.sql, self.staged_rows, self.committed = [], staged_rows, False

    def cursor(self):
        return self

    def execute(self, sql, params=None):
        self.sql.append(" ".join(sql.split()))
        self._last = sql

    def fetchone(self):
        if "count(*)" in self._last:
            return (self.staged_rows,)
        if "coalesce(max(load_id)" in self._last:
            return (7,)
        return None

    def commit(self):
        self.committed = True

    def rollback(self):
        pass


def redshift_client(conn: FakeRedshift) -> RedshiftClient:
    """The real Redshift client, talking to the fake connection."""

    class Client(RedshiftClient):
        def _connect(self):
            return conn

    return Client(Target("redshift"))


class S3LikeLake(LocalLake):
    """A local lake that calls itself s3:// so the Redshift path accepts it."""

    def __init__(self, root):
        super().__init__(root)
        self.uri = "s3://bucket/lake"


def test_redshift_load_copies_from_a_manifest_and_replaces_the_batch(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_RS_IAM_ROLE", "arn:aws:iam::123:role/pulse-copy")
    raw, lake_dir = tmp_path / "raw", tmp_path / "lake"
    write(raw, date(2026, 11, 1), "a.jsonl", [line("e1"), line("e2")])
    ingest(raw, lake_dir, [date(2026, 11, 1)], IngestOptions(runner="inline"))
    conn = FakeRedshift(staged_rows=2)
    client = redshift_client(conn)
    create_raw_tables(client, ["events"])
    result = load_partition(client, S3LikeLake(lake_dir), "events", "2026-11-01")
    assert (result.status, result.load_id, conn.committed) == ("loaded", 7, True)
    copy = next(s for s in conn.sql if s.startswith("copy "))
    assert "from 's3://bucket/lake/events/batch_date=2026-11-01/_redshift_copy.manifest'" in copy
    assert "iam_role 'arn:aws:iam::123:role/pulse-copy'" in copy and "gzip" in copy
    assert "manifest" in copy and "ignoreheader 1" in copy
    order = [s.split()[0] for s in conn.sql]
    assert order.index("copy") < order.index("delete") < order.index("insert")
    entries = orjson.loads((lake_dir / "events/batch_date=2026-11-01/_redshift_copy.manifest").read_bytes())
    assert all(e["mandatory"] and e["url"].endswith(".csv.gz") for e in entries["entries"])
    assert any("varchar(65535)" in s for s in conn.sql if s.startswith("create table"))


def test_redshift_count_mismatch_rolls_back(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_RS_IAM_ROLE", "arn:aws:iam::123:role/pulse-copy")
    raw, lake_dir = tmp_path / "raw", tmp_path / "lake"
    write(raw, date(2026, 11, 1), "a.jsonl", [line("e1"), line("e2")])
    ingest(raw, lake_dir, [date(2026, 11, 1)], IngestOptions(runner="inline"))
    conn = FakeRedshift(staged_rows=1)
    with pytest.raises(Exception, match="staged 1 rows"):
        load_partition(redshift_client(conn), S3LikeLake(lake_dir), "events", "2026-11-01")
    assert not conn.committed and not any(s.startswith("delete") for s in conn.sql)


def test_redshift_refuses_a_lake_that_is_not_on_s3(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_RS_IAM_ROLE", "arn:aws:iam::123:role/pulse-copy")
    raw, lake_dir = tmp_path / "raw", tmp_path / "lake"
    write(raw, date(2026, 11, 1), "a.jsonl", [line("e1")])
    ingest(raw, lake_dir, [date(2026, 11, 1)], IngestOptions(runner="inline"))
    conn = FakeRedshift(staged_rows=1)
    with pytest.raises(ValueError, match=r"need an s3:// lake"):
        load_partition(redshift_client(conn), LocalLake(lake_dir), "events", "2026-11-01")
    assert not conn.committed and not any(s.startswith("copy") for s in conn.sql)
    assert not (lake_dir / "events/batch_date=2026-11-01/_redshift_copy.manifest").exists()
