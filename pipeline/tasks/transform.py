"""Transform: one dbt invocation for the whole window (dbt builds incrementally from the loads)."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import luigi
import orjson

from ingest.tables import all_tables
from pipeline.progress import strip_ansi
from pipeline.retry import TRANSIENT_MESSAGES
from pipeline.tasks import queries
from pipeline.tasks.base import PulseTask
from pipeline.tasks.load import LoadTask
from warehouse import meta
from warehouse.dbt import DbtError, run_dbt
from warehouse.locks import held, writer_locks

log = logging.getLogger("pulse.tasks")
dbt_log = logging.getLogger("pulse.dbt")

STAGE = "transform"
DBT_CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}\s+")  # dbt's own HH:MM:SS before each line
DBT_NODE = re.compile(r"^(?P<n>\d+) of (?P<of>\d+) ")  # "12 of 140 OK created sql ..."
STATE_KEY = "dbt"
FULL_REFRESH = "--full-refresh"


def rebuilt_incremental_models(target_path: Path) -> list[str]:
    """The incremental models the last dbt invocation built successfully (its run_results and
    manifest in `target_path`), sorted."""
    results, manifest = target_path / "run_results.json", target_path / "manifest.json"
    if not results.exists() or not manifest.exists():
        return []
    nodes = orjson.loads(manifest.read_bytes()).get("nodes", {})
    built = {r["unique_id"] for r in orjson.loads(results.read_bytes()).get("results", [])
             if r.get("status") == "success"}
    return sorted(n["name"] for uid, n in nodes.items() if uid in built
                  and n.get("resource_type") == "model"
                  and n.get("config", {}).get("materialized") == "incremental")


def rebuilt_summary(models: list[str]) -> str:
    """The run-state detail of a full refresh: what it rebuilt."""
    return (f"dbt build {FULL_REFRESH}: rebuilt {len(models)} incremental model(s)"
            + (f" ({', '.join(models)})" if models else ""))


class TransientDbtError(ConnectionError):
    """dbt failed because the warehouse was unreachable: worth another attempt."""


class TransformTask(PulseTask):
    """One dbt invocation for the whole window.

    Complete when the last successful dbt run saw every load of the window (its watermark).
    After a failed dbt run, the next attempt is ``dbt retry``: only failed and skipped nodes run.
    With ``full_refresh`` (``pulse run --full-refresh``) it is complete only once this run's
    own ``dbt build --full-refresh`` succeeded, so published dates are rebuilt too; the run
    state's detail names the incremental models it rebuilt.
    """

    window_start = luigi.DateParameter()
    window_end = luigi.DateParameter()
    stage = STAGE
    STATE_KEY = STATE_KEY

    def requires(self) -> list[luigi.Task]:
        return [LoadTask(batch_date=d, table=t, **self.base())
                for d in self.settings.dates for t in all_tables()]

    def timeout(self) -> float:
        return self.settings.dbt_timeout_seconds

    def complete(self) -> bool:
        def ok() -> bool:
            with self.client() as client:
                done = meta.read_state(client, STAGE, STATE_KEY)
                needed = meta.max_load_id(client, [d.isoformat() for d in self.settings.dates])
            if done is None or done.status != "done" or (done.load_id or 0) < needed:
                return False
            # a full refresh is done only by this run's own full-refresh build
            return not self.settings.full_refresh or (
                done.run_id == self.settings.run_id and FULL_REFRESH in (done.detail or ""))
        return self.check(ok)

    def dbt_target_path(self) -> Path:
        return self.target.state_dir() / "dbt-target"

    def _retryable(self, previous: meta.StageState | None, watermark: int) -> bool:
        """A failed run with no newer loads since, whose run_results show nodes to redo."""
        results = self.dbt_target_path() / "run_results.json"
        if self.settings.full_refresh or previous is None or previous.status != "failed" \
                or previous.load_id != watermark or not results.exists():
            return False
        statuses = {r.get("status") for r in orjson.loads(results.read_bytes()).get("results", [])}
        return bool(statuses & {"error", "fail", "skipped", "runtime error"})

    def on_dbt_line(self, line: str, proc: subprocess.Popen) -> None:
        """Each line dbt prints while it runs (`proc` is dbt): it goes into the run log, without
        escape codes or dbt's own clock (the log line has its time); "N of M" node lines and
        the closing "Done. PASS=..." line feed the terminal's progress."""
        text = DBT_CLOCK.sub("", strip_ansi(line)).rstrip()
        if text.startswith("Done. "):
            self._dbt_result = text[len("Done. "):]
        node = DBT_NODE.match(text)
        if node:
            dbt_log.info("%s", text, extra={"pulse_progress": {
                "kind": "live", "text": f"transform  dbt node {node['n']}/{node['of']}"}})
        else:
            dbt_log.info("%s", text)

    def progress_note(self) -> str | None:
        return f"dbt {self._dbt_result}" if getattr(self, "_dbt_result", None) else None

    def _mark(self, status: str, watermark: int, detail: str) -> None:
        with self.client() as client:
            meta.write_state(client, STAGE, STATE_KEY, status, watermark, self.settings.run_id,
                             detail)

    def execute(self) -> tuple[int, int]:
        with held(self.target, ["transform"], self.timeout()):
            with self.client() as client:
                watermark = meta.max_load_id(client)
                previous = meta.read_state(client, STAGE, STATE_KEY)
            if self._retryable(previous, watermark):
                args = ["retry"]
            else:
                args = ["build"] + ([FULL_REFRESH] if self.settings.full_refresh else [])
            command = " ".join(["dbt", *args])
            args += ["--target-path", str(self.dbt_target_path())]
            log.info("dbt %s (watermark load %d)", args[0], watermark)
            try:
                # where the warehouse allows one writer, dbt needs it to itself
                with held(self.target, writer_locks(self.target), self.timeout()):
                    run_dbt(args, target=self.target, on_line=self.on_dbt_line)
            except DbtError as exc:
                self._mark("failed", watermark, command)
                if any(m in exc.output_tail.lower() for m in TRANSIENT_MESSAGES):
                    raise TransientDbtError(str(exc)) from exc
                raise
            detail = command
            if self.settings.full_refresh:
                detail = rebuilt_summary(rebuilt_incremental_models(self.dbt_target_path()))
                log.info("%s", detail)
            self._mark("done", watermark, detail)
            with self.client() as client:
                rows_in = queries.raw_event_count(client, self.settings.dates)
                rows_out = queries.fct_event_count(client, self.settings.dates)
        return rows_in, rows_out
