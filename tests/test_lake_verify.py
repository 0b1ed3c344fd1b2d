"""The lake is verified before it is trusted: loads check every file's size and sha256 against
its manifest, `verify_partition` and `pulse verify` find missing or changed pieces, and the
run's verify step makes a damaged published date incomplete again (DuckDB and PostgreSQL)."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from ingest.lake import open_lake, read_manifest
from ingest.lake.verify import LakeDamaged, verify_partition
from ingest.load.loader import create_raw_tables, load_batches, load_partition
from ingest.run import IngestOptions, ingest
from pipeline.cli import main
from pipeline.verify import repair, verify_dates
from tests.helpers import fetch
from tests.test_ingest import line, write
from warehouse import connect, meta

D1 = date(2026, 11, 1)
DAY = D1.isoformat()
INLINE = IngestOptions(runner="inline", max_quarantine_share=0.9)


def _lake(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2", user_id="u2"), line("e3")])
    ingest(raw, lake, [D1], INLINE)
    part = lake / "events" / f"batch_date={DAY}"
    (data,) = sorted(part.glob("part-*.csv.gz"))
    return lake, part, data


def flip_byte(path, offset: int = -12) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def rewrite_one_value(path) -> None:
    """The part as valid gzip CSV again, one value changed (same row count)."""
    text = gzip.decompress(path.read_bytes()).decode()
    assert '"u2"' in text
    path.write_bytes(gzip.compress(text.replace('"u2"', '"u9"').encode(), mtime=0))


@pytest.mark.parametrize("damage", [flip_byte, rewrite_one_value], ids=["byte-flip", "valid-gzip-edit"])
def test_a_changed_part_is_refused_before_any_row_is_loaded(tmp_path, any_target, damage):
    lake, _, data = _lake(tmp_path)
    damage(data)
    with pytest.raises(LakeDamaged, match=rf"events/batch_date={DAY}/{data.name}: .*(sha256|bytes)"):
        load_batches(any_target, open_lake(lake), [DAY], ["events"])
    assert fetch(any_target, "select count(*) from raw.events") == [(0,)]
    assert fetch(any_target, "select count(*) from pulse_meta.load_audit") == [(0,)]
    check = verify_partition(open_lake(lake), "events", DAY)
    assert not check.intact and data.name in check.problems[0]


def test_verify_partition_names_missing_files_and_manifests_and_ignores_temp_files(tmp_path):
    lake, part, data = _lake(tmp_path)
    store = open_lake(lake)
    temp = part / f".{data.name}.tmp-4242"
    temp.write_bytes(b"half a file")
    (part / "._manifest.json.tmp-4242").write_bytes(b"{")
    assert verify_partition(store, "events", DAY).intact, "temp files are ignored by name"
    assert store.list(f"events/batch_date={DAY}/") == sorted(
        f"events/batch_date={DAY}/{p.name}" for p in part.iterdir() if not p.name.startswith("."))
    assert sorted(store.remove_temp(f"events/batch_date={DAY}")) == [
        f"events/batch_date={DAY}/._manifest.json.tmp-4242", f"events/batch_date={DAY}/{temp.name}"]
    assert not temp.exists() and data.exists()

    data.unlink()
    assert verify_partition(store, "events", DAY).problems == (
        f"events/batch_date={DAY}/{data.name}: listed in _manifest.json but missing",)
    (part / "_manifest.json").unlink()
    check = verify_partition(store, "events", DAY)
    assert check.missing and check.problems == (f"events/batch_date={DAY}/_manifest.json is missing",)


def _loaded(tmp_path, target):
    lake, part, data = _lake(tmp_path)
    load_batches(target, open_lake(lake), [DAY])  # every table of the date
    with connect(target) as client:
        meta.publish(client, DAY, meta.batch_load_id(client, DAY), 3, "r0")
    return lake, part, data


def test_repair_withdraws_a_damaged_published_date_and_invalidates_its_load(tmp_path, any_target):
    lake, _, data = _loaded(tmp_path, any_target)
    store = open_lake(lake)
    with connect(any_target) as client:
        assert [v.ok for v in verify_dates(client, store, [D1])] == [True]
        assert repair(client, store, [D1], "r1") == []
        flip_byte(data)
        (log_manifest,) = (lake / "perf_timings").glob(f"batch_date={DAY}/_manifest.json")
        log_manifest.unlink()
        (verdict,) = verify_dates(client, store, [D1])
        assert not verdict.ok and set(verdict.problems) == {"events", "perf_timings"}
        assert any(data.name in p for p in verdict.problems["events"])
        (withdrawn,) = repair(client, store, [D1], "r2")
        assert withdrawn.batch_date == DAY
        assert meta.published(client, DAY) is None
        assert meta.loaded_checksum(client, "events", DAY) is None
        assert meta.loaded_checksum(client, "perf_timings", DAY) is None
        assert meta.loaded_checksum(client, "experiment_exposures", DAY) is not None
        assert meta.read_state(client, "verify", DAY).status == "invalid"


def test_repair_notices_rows_removed_from_the_warehouse(tmp_path, any_target):
    lake, _, _ = _loaded(tmp_path, any_target)
    with connect(any_target) as client:
        client.execute("delete from raw.events where event_id = 'e1'")
        (verdict,) = verify_dates(client, open_lake(lake), [D1])
        assert verdict.problems == {"events": [f"raw.events {DAY}: holds 2 rows, load 1 wrote 3"]}
        repair(client, open_lake(lake), [D1], "r1")
        assert meta.unpublished_batches(client)[0][0] == D1
        # the invalidated load is replaced by the next load of the same, intact partition
        create_raw_tables(client)
        assert load_partition(client, open_lake(lake), "events", DAY).status == "loaded"
    assert fetch(any_target, "select count(*) from raw.events") == [(3,)]


def test_pulse_verify_reports_each_bad_file_and_exits_1(tmp_path, duckdb_target, monkeypatch, capsys):
    lake, _, data = _loaded(tmp_path, duckdb_target)
    monkeypatch.setenv("PULSE_DUCKDB_PATH", duckdb_target.duckdb_path)
    argv = ["verify", "--from", DAY, "--to", "2026-11-02", "--lake", str(lake), "--target", "duckdb"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"{DAY}  ok   published" in out and "2026-11-02  ok   not ingested" in out
    rewrite_one_value(data)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert f"{DAY}  BAD  published" in out and data.name in out and "1 with problems" in out
    assert read_manifest(open_lake(lake), "events", DAY) is not None, "verify only reads"


def test_a_half_loaded_unpublished_date_is_work_left_not_damage(tmp_path, duckdb_target):
    lake, _, data = _lake(tmp_path)
    load_batches(duckdb_target, open_lake(lake), [DAY], ["events"])  # the log tables not yet
    with connect(duckdb_target) as client:
        (verdict,) = verify_dates(client, open_lake(lake), [D1])
        assert verdict.ok and verdict.loaded and not verdict.published
        assert repair(client, open_lake(lake), [D1], "r1") == []
        flip_byte(data)
        (withdrawn,) = repair(client, open_lake(lake), [D1], "r2")
        assert list(withdrawn.problems) == ["events"]
        assert meta.loaded_checksum(client, "events", DAY) is None
