"""The typed manifest: JSON round trip, lakes written before manifest_version, reconciliation,
and one-line errors (partition + field) for a manifest that cannot be trusted."""

import re
from dataclasses import replace

import orjson
import pytest

from ingest.lake import (
    DataFile,
    InputFile,
    Manifest,
    ManifestError,
    files_checksum,
    open_lake,
    read_manifest,
)
from ingest.schema import ARROW_TYPES, EVENTS
from warehouse.clients import CLIENTS
from warehouse.clients.base import LOGICAL_TYPES

WHERE = "events/batch_date=2026-11-01/_manifest.json"


def events_manifest(**changes) -> Manifest:
    m = Manifest.build(
        "events", "2026-11-01", contract_version=1, fmt="csv.gz", columns=EVENTS.column_names,
        files=[DataFile("part-00000-abc.csv.gz", 7, 100, "ab" * 32)], rows=7,
        inputs=[InputFile("2026-11-01/b.jsonl", 4, 40, False, None, {"ts_without_offset": 1}),
                InputFile("2026-11-01/a.jsonl", 6, 60, True, "EOFError", {})],
        duplicates=1, max_quarantine_share=0.5, job={"runner": "inline"},
        quarantined={"invalid_json": 2}, quarantine_file="quarantine-x.jsonl.gz")
    return replace(m, **changes)


def test_build_counts_and_reconciles():
    m = events_manifest()
    assert (m.input.lines, m.input.damaged_files, m.input.ts_without_offset) == (10, 1, 1)
    assert [f.path for f in m.input.files] == ["2026-11-01/a.jsonl", "2026-11-01/b.jsonl"]
    assert (m.quarantined_total, m.quarantine_share, m.status) == (2, 0.2, "ok")
    assert m.checksum == files_checksum(m.files) and m.reconciled
    assert not replace(m, rows=6).reconciled
    strict = Manifest.build("events", "2026-11-01", contract_version=1, fmt="csv.gz", columns=[],
                            files=[], rows=0, inputs=m.input.files, duplicates=0,
                            max_quarantine_share=0.1, job={}, quarantined={"invalid_json": 2})
    assert strict.status == "failed" and "quarantine share 20.00% exceeds 10.00%" in strict.status_reason


def test_log_table_reconciles_derived_rows():
    inputs = [InputFile("2026-11-01/a.jsonl", 5, 50, False, None, {"derived": {"perf_timings": 3}})]
    m = Manifest.build("perf_timings", "2026-11-01", contract_version=1, fmt="csv.gz",
                       columns=["event_id"], files=[], rows=2, inputs=inputs, duplicates=1,
                       max_quarantine_share=0.05, job={},
                       derive_errors=[{"error": "ZeroDivisionError"}] * 25)
    assert (m.derived_from, m.derived_rows, m.derive_errors, m.reconciled) == ("events", 3, 25, True)
    assert len(m.derive_error_samples) == 20 and m.status == "failed"
    assert m.quarantined is None and "quarantined" not in m.to_dict()
    assert Manifest.from_json(m.to_json()) == m


def test_json_round_trip_keeps_todays_keys():
    m = events_manifest()
    data = orjson.loads(m.to_json())
    assert data["manifest_version"] == 1 and data["reconciled"] is True
    assert set(data) >= {"table", "batch_date", "contract_version", "format", "columns", "files",
                         "rows", "checksum", "input", "duplicates_in_batch", "quarantined",
                         "quarantined_total", "quarantine_file", "quarantine_share",
                         "max_quarantine_share", "status", "status_reason", "job"}
    assert "derived_rows" not in data
    assert Manifest.from_json(m.to_json()) == m


def test_a_manifest_without_version_reads_as_version_1(tmp_path):
    data = orjson.loads(events_manifest().to_json())
    del data["manifest_version"]
    folder = tmp_path / "events" / "batch_date=2026-11-01"
    folder.mkdir(parents=True)
    (folder / "_manifest.json").write_bytes(orjson.dumps(data))
    m = read_manifest(open_lake(tmp_path), "events", "2026-11-01")
    assert m == events_manifest() and m.manifest_version == 1
    assert read_manifest(open_lake(tmp_path), "events", "2026-11-02") is None


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("rows"), "field 'rows' is missing"),
    (lambda d: d["input"].pop("lines"), "field 'input.lines' is missing"),
    (lambda d: d.update(rows="7"), "field 'rows' should be an integer, got str"),
    (lambda d: d["files"][0].pop("sha256"), "field 'files[0].sha256' is missing"),
    (lambda d: d["input"]["files"][1].update(damaged=None), "'input.files[1].damaged' should be true"),
    (lambda d: d.pop("quarantined_total"), "field 'quarantined_total' is missing"),
    (lambda d: d.update(columns=["a", 1]), "field 'columns[1]' should be a string"),
    (lambda d: d.update(manifest_version=2), "manifest_version 2 is newer"),
])
def test_a_broken_manifest_fails_with_one_line_naming_partition_and_field(tmp_path, mutate, message):
    data = orjson.loads(events_manifest().to_json())
    mutate(data)
    folder = tmp_path / "events" / "batch_date=2026-11-01"
    folder.mkdir(parents=True)
    (folder / "_manifest.json").write_bytes(orjson.dumps(data))
    with pytest.raises(ManifestError, match=re.escape(message)) as caught:
        read_manifest(open_lake(tmp_path), "events", "2026-11-01")
    assert str(caught.value).startswith(WHERE + ": ") and "\n" not in str(caught.value)


def test_not_json_names_the_source():
    with pytest.raises(ManifestError, match=f"^{re.escape(WHERE)}: not valid JSON"):
        Manifest.from_json(b"{", WHERE)
    with pytest.raises(ManifestError, match=r"^events/batch_date=2026-11-01: manifest field 'rows'"):
        Manifest.from_json({k: v for k, v in events_manifest().to_dict().items() if k != "rows"})


def test_every_logical_type_has_an_arrow_type_and_a_type_on_every_warehouse():
    assert set(ARROW_TYPES) == set(LOGICAL_TYPES)
    for client in CLIENTS.values():
        assert set(client.TYPES) == set(LOGICAL_TYPES), client.__name__
