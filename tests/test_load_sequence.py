"""The generated partition-load sequence (warehouse.merge): run for real on PostgreSQL, where
only its copy step differs from Redshift's, and golden-tested and parsed as Redshift SQL.
"""

import gzip
import hashlib
import logging
import os
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import orjson
import pytest
import sqlfluff

from ingest.lake import LocalLake, files_checksum, open_lake
from ingest.load.loader import create_raw_tables, load_partition, load_plan
from ingest.run import IngestOptions, ingest
from ingest.tables import all_tables
from monitor.config import IngestMonitorConfig
from monitor.data_checks import freshness, late_share
from pipeline.tasks import queries
from tests.helpers import fetch
from tests.test_ingest import line, write
from tests.test_redshift_load import FakeRedshift, S3LikeLake, redshift_client
from warehouse import meta
from warehouse.clients import PostgresClient
from warehouse.clients.redshift import CopyFailed, copy_authorization, render_load_sequence
from warehouse.merge import partition_load_steps

D1 = date(2026, 11, 1)
INLINE = IngestOptions(runner="inline", max_quarantine_share=0.9)
GOLDEN = Path(__file__).parent / "golden"
SENTINEL = "SENTINEL-secret-7f3a9c"


def published_lake(tmp_path, events, fmt="csv.gz"):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", events)
    ingest(raw, lake, [D1], replace(INLINE, lake_format=fmt))
    return lake


def duplicate_first_row(lake: Path) -> None:
    """Rewrite the partition so its one data file repeats its first row's key (as two lake
    files that overlap would), with a manifest that vouches for it."""
    folder = lake / "events" / "batch_date=2026-11-01"
    manifest = orjson.loads((folder / "_manifest.json").read_bytes())
    (entry,) = manifest["files"]
    path = folder / entry["name"]
    header, first, *rest = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    # same key (batch_date, event_id), a later source line: the first one must stay
    cells = first.rstrip("\n").split(",")
    repeat = ",".join([*cells[:-1], "999"]) + "\n"
    data = gzip.compress((header + first + repeat + "".join(rest)).encode(), mtime=0)
    path.write_bytes(data)
    from ingest.lake import read_manifest
    typed = read_manifest(LocalLake(lake), "events", "2026-11-01")
    (file,) = typed.files
    file = replace(file, rows=file.rows + 1, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    typed = replace(typed, files=(file,), rows=typed.rows + 1, checksum=files_checksum([file]))
    (folder / "_manifest.json").write_bytes(typed.to_json())


def setup_pg(target):
    client = PostgresClient(target)
    meta.setup(client)
    create_raw_tables(client, ["events"])
    return client


def test_pg_dedups_staged_rows_on_the_key_and_a_retry_changes_nothing(tmp_path, pg_target):
    lake = published_lake(tmp_path, [line("e1"), line("e2")])
    duplicate_first_row(lake)
    with setup_pg(pg_target) as client:
        first = load_partition(client, open_lake(lake), "events", "2026-11-01")
        assert (first.status, first.rows, first.load_id) == ("loaded", 2, 1)
        rows = fetch(pg_target, "select event_id, source_line, _load_id from raw.events order by 1")
        assert rows == [("e1", 1, 1), ("e2", 2, 1)]  # the repeated e1 (line 999) was dropped
        again = load_partition(client, open_lake(lake), "events", "2026-11-01")
        assert again.status == "unchanged"
        assert fetch(pg_target, "select event_id, source_line, _load_id from raw.events "
                                "order by 1") == rows
        # a forced reload of the same manifest (audit says the load is invalid) gives the same rows
        meta.invalidate_load(client, "events", "2026-11-01", str(lake))
        forced = load_partition(client, open_lake(lake), "events", "2026-11-01")
        assert (forced.status, forced.rows) == ("loaded", 2)
        # the temporary tables are dropped by the sequence, not left to the session's end
        assert client.scalar("select count(*) from pg_class where relname in "
                             "('stage_events', 'stage_events_dedup')") == 0
    assert fetch(pg_target, "select event_id, source_line from raw.events order by 1") == \
        [(r[0], r[1]) for r in rows]
    assert fetch(pg_target, "select load_id, status, rows_loaded from pulse_meta.load_audit "
                            "order by load_id") == [(1, "loaded", 2), (2, "unchanged", 0),
                                                    (3, "invalidated", 0), (4, "loaded", 2)]


@pytest.mark.parametrize("failing", ["dedup", "delete_partition", "insert", "audit", "drop"])
def test_pg_a_failure_at_any_step_rolls_back_rows_and_audit(tmp_path, pg_target, failing):
    lake = published_lake(tmp_path, [line("e1"), line("e2")])
    with setup_pg(pg_target) as client:
        load_partition(client, open_lake(lake), "events", "2026-11-01")
    before = fetch(pg_target, "select * from raw.events order by event_id")
    audit = fetch(pg_target, "select * from pulse_meta.load_audit order by load_id")
    write(tmp_path / "raw", D1, "a.jsonl", [line("e7")])
    ingest(tmp_path / "raw", lake, [D1], INLINE)

    class Failing(PostgresClient):
        ran: list[str] = []

        def run_load_step(self, step):
            super().run_load_step(step)  # the step ran: its effect must be undone too
            self.ran.append(step.name)
            if step.name == failing:
                raise RuntimeError(f"injected failure after {failing}")

    with Failing(pg_target) as client, pytest.raises(RuntimeError, match="injected"):
        load_partition(client, open_lake(lake), "events", "2026-11-01")
    assert Failing.ran[-1] == failing
    assert fetch(pg_target, "select * from raw.events order by event_id") == before
    assert fetch(pg_target, "select * from pulse_meta.load_audit order by load_id") == audit
    with setup_pg(pg_target) as client:  # and the next attempt loads normally
        result = load_partition(client, open_lake(lake), "events", "2026-11-01")
    assert (result.status, result.rows) == ("loaded", 1)
    assert fetch(pg_target, "select event_id from raw.events") == [("e7",)]


def test_pg_audit_row_is_written_by_the_load_transaction(tmp_path, pg_target):
    """Right after the sequence's audit step, another session sees neither the new rows nor
    the audit row (one uncommitted transaction); after the commit it sees both."""
    lake = published_lake(tmp_path, [line("e1")])
    seen = []

    class Peeking(PostgresClient):
        def run_load_step(self, step):
            super().run_load_step(step)
            if step.name == "audit":
                seen.append((fetch(pg_target, "select count(*) from raw.events")[0][0],
                             fetch(pg_target, "select count(*) from pulse_meta.load_audit")[0][0]))

    setup_pg(pg_target).close()
    with Peeking(pg_target) as client:
        load_partition(client, open_lake(lake), "events", "2026-11-01")
    assert seen == [(0, 0)]
    assert fetch(pg_target, "select count(*) from raw.events") == [(1,)]
    assert fetch(pg_target, "select status, rows_loaded from pulse_meta.load_audit") == [("loaded", 1)]


def golden_plan(key=None):
    table = all_tables()["events"]
    if key is not None:
        table = replace(table, key=key)
    return load_plan(table, "2026-11-01", 42, "sha256-of-the-partition", "s3://pulse-lake/lake",
                     datetime(2026, 11, 2, 3, 0, 0)), table


def golden_sql(fmt: str) -> str:
    plan, table = golden_plan()
    plan = replace(plan, finished_at=datetime(2026, 11, 2, 3, 0, 5))
    url = "s3://pulse-lake/lake/events/batch_date=2026-11-01/_redshift_copy.manifest"
    return render_load_sequence(partition_load_steps(plan), table.column_names, url, fmt)


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_redshift_load_sequence_matches_its_golden_file(fmt):
    path = GOLDEN / f"redshift_load_events_{fmt.replace('.', '_')}.sql"
    if os.environ.get("PULSE_UPDATE_GOLDEN"):
        path.write_text(golden_sql(fmt))
    assert golden_sql(fmt) == path.read_text(), f"regenerate with PULSE_UPDATE_GOLDEN=1: {path}"


def redshift_statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip()]


@pytest.mark.parametrize("name", ["redshift_load_events_csv_gz.sql", "redshift_load_events_parquet.sql"])
def test_every_golden_statement_parses_as_redshift(name):
    statements = redshift_statements((GOLDEN / name).read_text())
    assert len(statements) >= 12
    for statement in statements:
        sqlfluff.parse(statement + ";", dialect="redshift")  # raises on an unparsable part


def test_unquoted_raw_schema_does_not_parse_as_redshift():
    """Why the sequence quotes identifiers: `raw` is reserved on Redshift."""
    with pytest.raises(sqlfluff.api.APIParsingError):
        sqlfluff.parse("delete from raw.events where batch_date = '2026-11-01';", dialect="redshift")


def test_a_key_without_the_partition_column_also_deletes_the_staged_keys_elsewhere():
    plan, _ = golden_plan(key=("event_id",))
    steps = partition_load_steps(plan)
    (delete_keys,) = [s for s in steps if s.name == "delete_keys"]
    assert 'using "stage_events_dedup" where "raw"."events"."event_id" = ' \
           '"stage_events_dedup"."event_id"' in delete_keys.sql
    sqlfluff.parse(delete_keys.sql + ";", dialect="redshift")
    assert "delete_keys" not in [s.name for s in partition_load_steps(golden_plan()[0])]


def test_env_credentials_clause_parses_as_redshift():
    auth, secrets = copy_authorization({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                                        "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_SESSION_TOKEN": "tok"})
    assert secrets == ["AKIAEXAMPLE", "s3cr3t", "tok"]
    sqlfluff.parse(f"copy \"stage_events\" from 's3://b/m' {auth} format as parquet manifest;",
                   dialect="redshift")
    with pytest.raises(ValueError, match="PULSE_RS_IAM_ROLE"):
        copy_authorization({})


class EchoingRedshift(FakeRedshift):
    """A driver whose COPY error echoes the statement it was sent."""

    def execute(self, sql, params=None):
        super().execute(sql, params)
        if sql.startswith("copy "):
            raise RuntimeError(f"error: S3ServiceException: Access Denied, query: {sql}")


@pytest.mark.parametrize("via", ["role", "keys"])
def test_copy_credentials_never_reach_errors_logs_or_the_audit(tmp_path, monkeypatch, caplog, via):
    if via == "role":
        monkeypatch.setenv("PULSE_RS_IAM_ROLE", f"arn:aws:iam::123:role/{SENTINEL}")
    else:
        monkeypatch.delenv("PULSE_RS_IAM_ROLE", raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + SENTINEL)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SENTINEL)
    caplog.set_level(logging.DEBUG)
    lake = published_lake(tmp_path, [line("e1"), line("e2")])
    # the credentials do reach Redshift in the COPY statement ...
    ok = FakeRedshift(staged_rows=2)
    load_partition(redshift_client(ok), S3LikeLake(lake), "events", "2026-11-01")
    assert any(SENTINEL in s for s in ok.sql if s.startswith("copy "))
    # ... and nowhere else: not the audit row, not the logs, not an error
    assert not any(SENTINEL in s for s in ok.sql if not s.startswith("copy "))
    failing = EchoingRedshift(staged_rows=2)
    with pytest.raises(CopyFailed) as raised:
        load_partition(redshift_client(failing), S3LikeLake(lake), "events", "2026-11-01")
    assert "Access Denied" in str(raised.value) and SENTINEL not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert SENTINEL not in caplog.text
    assert not failing.committed
    manifest = (lake / "events/batch_date=2026-11-01/_redshift_copy.manifest").read_bytes()
    assert SENTINEL.encode() not in manifest


def test_pulse_reload_loads_published_partitions_again_with_the_same_rows(tmp_path, pg_target,
                                                                           monkeypatch, capsys,
                                                                           caplog):
    from pipeline.cli import main

    lake = published_lake(tmp_path, [line("e1"), line("e2")])
    monkeypatch.setenv("PULSE_PG_DBNAME", pg_target.dbname)
    monkeypatch.setenv("PULSE_PG_HOST", pg_target.host)
    monkeypatch.setenv("PULSE_PG_PORT", str(pg_target.port))
    with setup_pg(pg_target) as client:
        load_partition(client, open_lake(lake), "events", "2026-11-01")
    before = fetch(pg_target, "select event_id, source_line from raw.events order by 1")
    args = ["reload", "--from", "2026-11-01", "--lake", str(lake), "--target", "postgres",
            "--table", "events"]
    assert main(args) == 0
    assert "1 partitions loaded" in capsys.readouterr().out
    assert fetch(pg_target, "select event_id, source_line from raw.events order by 1") == before
    assert fetch(pg_target, "select distinct _load_id from raw.events") == [(2,)]
    assert fetch(pg_target, "select load_id, status from pulse_meta.load_audit order by 1") == [
        (1, "loaded"), (2, "loaded")]
    # a date that is not published is refused in one line, before anything is loaded
    assert main([*args[:2], "2026-11-01", "--to", "2026-11-02", *args[3:]]) == 1
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "LoadError: events batch 2026-11-02 is not published" in record.getMessage()
    assert record.exc_info is None
    assert fetch(pg_target, "select count(*) from pulse_meta.load_audit") == [(2,)]


class RecordingRedshift(FakeRedshift):
    """The fake connection, answering every read with one row of as many ones as it selects."""

    def _row(self):
        select = self._last.lower().split(" from ")[0]
        return (1,) * (select.count(",") + 1)

    def fetchall(self):
        return [self._row()]

    def fetchone(self):
        return self._row()


def test_every_statement_naming_a_raw_table_parses_as_redshift(monkeypatch):
    """`raw` is reserved on Redshift: the set-up DDL, the checks' counts and the monitors'
    reads of raw tables, sent through the real Redshift client, must all quote it."""
    conn = RecordingRedshift(staged_rows=1)
    client = redshift_client(conn)
    create_raw_tables(client)
    queries.raw_event_count(client, [date(2026, 11, 1), date(2026, 11, 2)])
    queries.events_missing_from_fct(client, date(2026, 11, 1))
    queries.raw_table_count(client, "perf_timings", date(2026, 11, 1))
    late_share(client, date(2026, 11, 1), IngestMonitorConfig())
    monkeypatch.setattr(meta, "latest_loaded_batch", lambda *_: date(2026, 11, 1))
    monkeypatch.setattr(client, "table_exists", lambda *_: True)
    freshness(client, date(2026, 11, 1), IngestMonitorConfig())
    naming_raw = [s for s in conn.sql if '"raw"' in s or " raw." in s]
    assert len(naming_raw) >= 8, conn.sql
    for statement in naming_raw:
        sqlfluff.parse(statement.replace("%s", "'2026-11-01'") + ";", dialect="redshift")
