"""The same ingest job on mrjob's inline, local and spark runners gives identical partitions,
and so does the columnar engine.

Spark runs for real (pyspark in local mode), bound to 127.0.0.1 with its UI off.
"""

from datetime import date, timedelta

import pytest

from ingest.run import IngestOptions, ingest
from tests.test_ingest import line, write

DATES = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]


@pytest.fixture
def raw(tmp_path):
    raw = tmp_path / "raw"
    for i, d in enumerate(DATES):
        ts = f"{d}T12:00:00+05:30"
        write(raw, d, "a.jsonl.gz", [line(f"e{i}-{n}", ts=ts) for n in range(40)] + ["oops"], gz=True)
        write(raw, d, "b.jsonl", [line(f"e{i}-{n}", ts=ts) for n in range(30, 60)])  # 10 dups
    return raw


def _checksums(manifests):
    events = {b: tables["events"] for b, tables in manifests.items()}
    return {b: (m.checksum, m.rows, m.duplicates_in_batch, m.quarantined_total)
            for b, m in events.items()}


def test_inline_local_and_spark_runners_agree(raw, tmp_path, monkeypatch):
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("pyspark is missing: `make test` installs it (pip install -e '.[dev,spark]')")
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    results = {
        runner: _checksums(ingest(raw, tmp_path / f"lake-{runner}", DATES,
                                  IngestOptions(runner=runner, engine="mrjob")))
        for runner in ("inline", "local", "spark")
    }
    results["columnar"] = _checksums(ingest(raw, tmp_path / "lake-columnar", DATES,
                                            IngestOptions(engine="columnar")))
    assert results["inline"] == results["local"] == results["spark"] == results["columnar"]
    assert results["local"]["2026-11-01"][1:] == (60, 10, 1)
