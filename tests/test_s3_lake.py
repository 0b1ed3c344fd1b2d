"""The lake on S3, end to end against a local S3 endpoint (moto server on 127.0.0.1)."""

from datetime import date

import boto3
import orjson
import pytest

from ingest.lake import open_lake, read_manifest
from ingest.load.loader import load_batches
from ingest.run import IngestOptions, ingest
from tests.helpers import fetch
from tests.test_ingest import line, write

D1 = date(2026, 11, 1)


@pytest.fixture
def s3_endpoint(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("PULSE_S3_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket="pulse-lake")
    yield url
    server.stop()


def test_ingest_publishes_to_s3_and_loaders_read_it(tmp_path, s3_endpoint, any_target):
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2"), line("e1"), "bad"])
    uri = "s3://pulse-lake/prod/lake"
    manifests = ingest(raw, uri, [D1], IngestOptions(runner="inline", max_quarantine_share=0.5))
    lake = open_lake(uri)
    keys = lake.list("events/")
    assert any(k.endswith("_manifest.json") for k in keys)
    assert read_manifest(lake, "events", "2026-11-01").checksum == manifests["2026-11-01"]["events"].checksum
    results = load_batches(any_target, lake, ["2026-11-01"], ["events"])
    assert [(r.status, r.rows) for r in results] == [("loaded", 2)]
    assert fetch(any_target, "select event_id from raw.events order by 1") == [("e1",), ("e2",)]
    assert fetch(any_target, "select lake_uri from pulse_meta.load_audit") == [(uri,)]
    # the publisher wrote the Redshift COPY manifest beside the partition, listing its data files
    copy_manifest = orjson.loads(lake.read_bytes("events/batch_date=2026-11-01/_redshift_copy.manifest"))
    data = [f"{uri}/events/batch_date=2026-11-01/{f.name}" for f in manifests["2026-11-01"]["events"].files]
    assert copy_manifest == {"entries": [{"url": u, "mandatory": True} for u in data]} and data


def test_s3_partition_is_invisible_until_its_manifest_is_written(tmp_path, s3_endpoint):
    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("e1")])
    ingest(raw, "s3://pulse-lake/l", [D1], IngestOptions(runner="inline"))
    lake = open_lake("s3://pulse-lake/l")
    lake.delete("events/batch_date=2026-11-01/_manifest.json")
    assert read_manifest(lake, "events", "2026-11-01") is None
    # a rerun replaces the partition cleanly: one data file, the manifest back
    write(raw, D1, "a.jsonl", [line("e5"), line("e6")])
    ingest(raw, "s3://pulse-lake/l", [D1], IngestOptions(runner="inline"))
    keys = lake.list("events/batch_date=2026-11-01/")
    assert len([k for k in keys if "/part-" in k]) == 1
    assert read_manifest(lake, "events", "2026-11-01").rows == 2


def test_a_changed_s3_object_is_refused_by_the_load_and_named_by_verify(tmp_path, s3_endpoint,
                                                                         duckdb_target):
    from ingest.lake.verify import LakeDamaged, verify_partition

    raw = tmp_path / "raw"
    write(raw, D1, "a.jsonl", [line("e1"), line("e2")])
    uri = "s3://pulse-lake/lake"
    ingest(raw, uri, [D1], IngestOptions(runner="inline"))
    lake = open_lake(uri)
    (part,) = [k for k in lake.list("events/") if "/part-" in k]
    data = bytearray(lake.read_bytes(part))
    data[-10] ^= 0x01
    lake.write_bytes(part, bytes(data))
    assert verify_partition(lake, "events", "2026-11-01").problems[0].startswith(f"{part}: sha256")
    with pytest.raises(LakeDamaged, match=part):
        load_batches(duckdb_target, lake, ["2026-11-01"], ["events"])
    assert fetch(duckdb_target, "select count(*) from raw.events") == [(0,)]
    lake.delete(part)
    with pytest.raises(LakeDamaged, match=f"{part}: listed in _manifest.json but missing"):
        load_batches(duckdb_target, lake, ["2026-11-01"], ["events"])
