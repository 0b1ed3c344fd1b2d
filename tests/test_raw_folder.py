"""Every entry of a batch folder is read or recorded as skipped with a reason; symlinks count
for the folder they sit in; odd names are handled or refused by name (never a crash)."""

import os
from datetime import date
from pathlib import Path

import orjson

from ingest.lake import Manifest
from ingest.raw_folder import SKIP_REASONS, list_batch
from ingest.run import IngestOptions, ingest
from pipeline.cli import main
from pipeline.status import skipped_summary
from tests.helpers import ingest_options
from tests.hostile_corpus import add_hostile_batch
from tests.test_ingest import line, rows, write

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)
LENIENT = IngestOptions(runner="inline", max_quarantine_share=1.0)
ODD_BUT_SAFE = "a b,\"c'é€#%.jsonl"


def hostile_folder(raw: Path) -> dict[str, str | None]:
    """A batch folder with one entry of every kind; returns entry name -> expected skip reason
    (None: read)."""
    write(raw, D1, "good.jsonl", [line("g1")])
    write(raw, D2, "other.jsonl", [line("o1", ts="2026-11-02T10:00:00Z")])
    folder = raw / D1.isoformat()
    write(raw, D1, ".part.jsonl", [line("h1")])
    write(raw, D1, "_SUCCESS", [])
    (folder / "sub").mkdir()
    write(folder / "sub", D1, "nested.jsonl", [line("s1")])  # sub/2026-11-01/nested.jsonl
    (folder / "dir-link").symlink_to(folder / "sub")
    (folder / "dangling.jsonl").symlink_to(folder / "gone.jsonl")
    (folder / "other-batch.jsonl").symlink_to(raw / D2.isoformat() / "other.jsonl")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "notes.txt").write_text("remember to rotate logs\n")
    write(raw, D1, "tab\there.jsonl", [line("t1")])
    write(raw, D1, "new\nline.jsonl", [line("n1")])
    (folder / os.fsdecode(b"latin1-\xe9.jsonl")).write_bytes(line("l1").encode() + b"\n")
    write(raw, D1, ODD_BUT_SAFE, [line("odd1")])
    return {"good.jsonl": None, "other-batch.jsonl": None, ODD_BUT_SAFE: None,
            ".part.jsonl": "hidden_name", "_SUCCESS": "hidden_name", "sub": "subfolder",
            "dir-link": "subfolder", "dangling.jsonl": "dangling_symlink",
            "pipe.jsonl": "not_a_regular_file", "notes.txt": "unknown_format",
            "tab\\there.jsonl": "unsafe_name", "new\\nline.jsonl": "unsafe_name",
            "latin1-\\udce9.jsonl": "unsafe_name"}


def test_every_entry_is_read_or_skipped_with_its_reason(tmp_path):
    raw = tmp_path / "raw"
    expected = hostile_folder(raw)
    listing = list_batch(raw, D1.isoformat())
    assert len(listing.files) + len(listing.skipped) == len(os.listdir(raw / D1.isoformat()))
    got = {Path(f).name: None for f in listing.files}
    got.update({s.name.split("/", 1)[1]: s.reason for s in listing.skipped})
    assert got == expected
    assert {s.reason for s in listing.skipped} == set(SKIP_REASONS)
    assert all(s.detail and s.name.isprintable() for s in listing.skipped)


def test_ingest_records_skipped_entries_and_attributes_symlinks_to_their_folder(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    expected = hostile_folder(raw)
    # only D1 in the window: the symlink's target batch D2 is not requested, and must not be
    m = ingest(raw, lake, [D1], ingest_options(engine, max_quarantine_share=1.0))["2026-11-01"]["events"]
    assert m.reconciled
    assert sorted(f.path for f in m.input.files) == sorted(
        f"2026-11-01/{n}" for n, why in expected.items() if why is None)
    assert {s.name: s.reason for s in m.input.skipped} == {
        f"2026-11-01/{n}": why for n, why in expected.items() if why is not None}
    by_id = {r[0]: r for r in rows(lake, D1)}
    assert set(by_id) == {"g1", "o1", "odd1"}
    assert by_id["o1"][13] == "2026-11-01/other-batch.jsonl"  # source_file, found in D1
    assert by_id["odd1"][13] == f"2026-11-01/{ODD_BUT_SAFE}"
    # the manifest on disk carries them as a separate key; files and checksum are untouched
    on_disk = orjson.loads((lake / "events" / "batch_date=2026-11-01" / "_manifest.json")
                           .read_bytes())
    assert len(on_disk["input"]["skipped"]) == len(m.input.skipped)
    assert Manifest.from_json(m.to_json()) == m
    # the window's one line names them
    summary = skipped_summary(str(lake), D1, D1)
    assert summary.startswith(f"skipped {len(m.input.skipped)} raw folder entries")
    assert "\n" not in summary and "2026-11-01/.part.jsonl (hidden_name)" in summary


def test_both_batches_of_a_cross_batch_symlink_count_their_own_copy(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    hostile_folder(raw)
    out = ingest(raw, lake, [D1, D2], ingest_options(engine, max_quarantine_share=1.0))
    assert [f.path for f in out["2026-11-02"]["events"].input.files] == ["2026-11-02/other.jsonl"]
    assert "2026-11-01/other-batch.jsonl" in {f.path for f in out["2026-11-01"]["events"].input.files}
    assert skipped_summary(str(lake), D2, D2) is None


def test_manifest_without_skipped_key_still_reads(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, D1, "a.jsonl", [line("a1")])
    m = ingest(raw, lake, [D1], LENIENT)["2026-11-01"]["events"]
    old = orjson.loads(m.to_json())
    del old["input"]["skipped"]  # what pulse wrote before skipped entries were recorded
    assert Manifest.from_json(orjson.dumps(old)) == m
    assert m.input.skipped == ()


def test_pulse_run_names_skipped_entries_in_one_line(tmp_path, duckdb_target, capsys, monkeypatch):
    """`pulse run` on the hostile batch: exit 0, the skipped entries on one line of stdout."""
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    expected = add_hostile_batch(raw, D1)
    for key, value in duckdb_target.dbt_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PULSE_ALERT_LOG", str(tmp_path / "alerts.log"))
    rc = main(["run", "--raw", str(raw), "--lake", str(lake), "--from", D1.isoformat(),
               "--target", "duckdb", "--runner", "inline", "--skip-dbt", "--monitor", "none",
               "--max-quarantine-share", "0.9", "--log-dir", str(tmp_path / "logs")])
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = [x for x in out.splitlines() if "raw folder entr" in x]
    assert len(lines) == 1, out
    assert f"skipped {len(expected['skipped'])} raw folder entries" in lines[0]
    shown = sorted(expected["skipped"].items())[:5]  # the line names the first five by name
    assert all(f"{name} ({why})" in lines[0] for name, why in shown) and "and 1 more" in lines[0]
