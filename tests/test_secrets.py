"""Secrets never leave the process: sentinel secrets are set everywhere pulse reads one
(warehouse passwords, AWS keys, a webhook URL whose path is its token, an SMTP password),
each failure path is forced (an invalid webhook URL, an SMTP server that is down, a failing
task, a failing dbt run, a failing warehouse connection, dbt's own output and log files of a
failing dbt run), and every output, file and table is searched for them."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from monitor.alerts import Alert, AlertDeliveryError, send_alert
from monitor.config import AlertConfig, SinkConfig
from pipeline.cli import main
from simulator import generate
from tests.helpers import fetch
from warehouse.dbt import DbtError, run_dbt
from warehouse.redact import MASK, RedactingFilter, redact
from warehouse.target import Target, dbt_process_env

PG_PASSWORD = "s3ntinelPGpassw0rd"
RS_PASSWORD = "s3ntinelRSpassw0rd"
AWS_SECRET = "s3ntinelAWSsecretKEY0123456789abcdef"
AWS_KEY_ID = "AKIAS3NTINEL0000KEY1"
SMTP_PASSWORD = "s3ntinelSMTPpassw0rd"
HOOK_TOKEN = "S3ntinelHookT0kenXYZ123456"
HOOK_URL = f"https://hooks.slack.com/services/T000SENT/B000SENT/{HOOK_TOKEN} trailing text"
SENTINELS = (PG_PASSWORD, RS_PASSWORD, AWS_SECRET, AWS_KEY_ID, SMTP_PASSWORD, HOOK_TOKEN)
DAY = date(2026, 10, 1)


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [s for s in SENTINELS if s.encode() in data]


def files_with_leaks(root: Path) -> dict[str, list[str]]:
    return {str(p): found for p in root.rglob("*") if p.is_file() and (found := leaks(p.read_bytes()))}


@pytest.fixture
def secrets_everywhere(tmp_path, monkeypatch) -> Path:
    """Sentinel secrets in the environment and in a monitor config whose sinks all fail."""
    smtp_port = _closed_port()
    config = tmp_path / "monitors.yml"
    config.write_text(
        "alerts:\n  dedup_window_minutes: 0\n  sinks:\n"
        "    slack: {kind: webhook, url_env: PULSE_TEST_HOOK_URL}\n"
        f"    mail: {{kind: email, host: 127.0.0.1, port: {smtp_port}, sender: a@example.com,"
        " recipients: [b@example.com], user: pulse, password_env: PULSE_TEST_SMTP_PASSWORD,"
        " timeout_seconds: 2}\n", encoding="utf-8")
    env = {"PULSE_PG_PASSWORD": PG_PASSWORD, "PULSE_RS_PASSWORD": RS_PASSWORD,
           "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
           "PULSE_TEST_SMTP_PASSWORD": SMTP_PASSWORD, "PULSE_TEST_HOOK_URL": HOOK_URL,
           "PULSE_MONITOR_CONFIG": str(config), "PULSE_STATE_DIR": str(tmp_path / "state"),
           "PULSE_ALERT_LOG": str(tmp_path / "alerts" / "alerts.log"),
           "PULSE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
           "PULSE_RETRY_ATTEMPTS": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again once we return: connections are refused


def _secret_error() -> str:
    """What a careless driver or library might put in an exception."""
    return (f"connect failed for postgresql://pulse:{PG_PASSWORD}@db:5432/pulse "
            f"(redshift password {RS_PASSWORD}, aws {AWS_KEY_ID}/{AWS_SECRET}, hook {HOOK_URL})")


# -- the redaction step ------------------------------------------------------------------
def test_redact_masks_configured_values_and_secret_shapes(secrets_everywhere, monkeypatch):
    monkeypatch.setenv("SOME_OTHER_API_TOKEN", "guessedtoken1234")
    text = redact(_secret_error() + " token guessedtoken1234 "
                  "https://api.example.com/v1/items?id=7&access_token=abcDEF123 "
                  "s3://bucket/lake/events/batch_date=2026-10-01/part-00000.csv.gz "
                  "https://u:hunter2@example.com/x")
    assert leaks(text) == []
    assert "guessedtoken1234" not in text and "abcDEF123" not in text and "hunter2" not in text
    assert "id=7" in text and "part-00000.csv.gz" in text  # what is not secret stays readable
    assert f"https://{MASK}@example.com/x" in text


def test_log_records_and_their_tracebacks_are_redacted(secrets_everywhere):
    record = logging.LogRecord("pulse", logging.ERROR, __file__, 1, "failed: %s", (PG_PASSWORD,), None)
    try:
        raise RuntimeError(_secret_error())
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert leaks(logging.Formatter().format(record)) == []


# -- alert sinks -------------------------------------------------------------------------
def test_invalid_webhook_url_goes_to_fallback_with_the_url_redacted(secrets_everywhere):
    fallback_log = secrets_everywhere / "fallback.log"
    config = AlertConfig(sinks=(SinkConfig("slack", "webhook", {"url_env": "PULSE_TEST_HOOK_URL"}),),
                         fallback=SinkConfig("fallback", "log",
                                             {"path": str(fallback_log), "stderr": False}),
                         dedup_window_minutes=0)
    with pytest.raises(AlertDeliveryError) as caught:
        send_alert(Alert("k", "subject", "body"), config)
    assert caught.value.delivery.delivered_to == ["fallback"]
    assert "slack" in caught.value.delivery.failed
    assert leaks(str(caught.value)) == [] and leaks(fallback_log.read_bytes()) == []
    assert "PULSE_TEST_HOOK_URL" in fallback_log.read_text()  # says which setting is wrong


# -- every failure path of a run, end to end (DuckDB and PostgreSQL) ---------------------
def test_no_secret_reaches_any_output_file_or_table(secrets_everywhere, any_target, monkeypatch,
                                                    capfd, caplog):
    work = secrets_everywhere
    if any_target.name == "postgres":  # the run reads its warehouse from the environment
        for key, value in (("HOST", any_target.host), ("PORT", str(any_target.port)),
                           ("USER", any_target.user), ("DBNAME", any_target.dbname)):
            monkeypatch.setenv(f"PULSE_PG_{key}", value)
    else:
        monkeypatch.setenv("PULSE_DUCKDB_PATH", any_target.duckdb_path)
    generate(work / "raw", DAY, 1, users=30, seed=3, progress=False)
    args = ["run", "--raw", str(work / "raw"), "--lake", str(work / "lake"), "--from", str(DAY),
            "--runner", "inline", "--target", any_target.name, "--monitor", "none",
            "--log-dir", str(work / "logs")]

    def failing_load(*a, **k):
        raise RuntimeError(_secret_error())

    def failing_dbt(args, target=None, on_line=None, **k):
        on_line(f"Database Error: {_secret_error()}", None)  # dbt's own output, into the run log
        raise DbtError(args, 2, f"Runtime Error\n  {_secret_error()}\n")

    caplog.set_level(logging.INFO)
    with monkeypatch.context() as mp:  # a failing task
        mp.setattr("pipeline.tasks.load.load_partition", failing_load)
        assert main(args) == 1
    with monkeypatch.context() as mp:  # a failing dbt run
        mp.setattr("pipeline.tasks.transform.run_dbt", failing_dbt)
        assert main(args) == 1
    out, err = capfd.readouterr()
    assert leaks(out + err + caplog.text) == []
    assert files_with_leaks(work) == {}
    errors = [r[0] for r in fetch(any_target, "select error from pulse_meta.pipeline_task_runs "
                                              "where error is not null")]
    assert any("RuntimeError" in e for e in errors) and any("DbtError" in e for e in errors)
    assert leaks("\n".join(errors)) == []
    alerts = (work / "alerts" / "alerts-undelivered.log").read_text()
    assert "delivery failed on slack" in alerts and "mail:" in alerts  # the fallback got them


def test_failing_warehouse_connection_leaks_nothing(secrets_everywhere, monkeypatch, capfd, caplog):
    import psycopg2

    def refuse(*a, **k):
        raise psycopg2.OperationalError(f"could not connect: host=db password={PG_PASSWORD}\nmore")

    monkeypatch.setattr(psycopg2, "connect", refuse)
    caplog.set_level(logging.INFO)
    work = secrets_everywhere
    (work / "raw" / str(DAY)).mkdir(parents=True)
    assert main(["status", "--target", "postgres"]) == 1
    assert main(["run", "--raw", str(work / "raw"), "--lake", str(work / "lake"), "--from", str(DAY),
                 "--target", "postgres", "--monitor", "none", "--log-dir", str(work / "logs")]) == 1
    out, err = capfd.readouterr()
    assert "cannot connect" in out + err + caplog.text
    assert leaks(out + err + caplog.text) == []
    assert files_with_leaks(work) == {}


# -- dbt's own output and log files ------------------------------------------------------
@pytest.mark.parametrize("case", ["wrong_host", "echoed"])
def test_dbt_masks_the_warehouse_password_in_its_output_and_logs(secrets_everywhere, pg_server,
                                                                 case, capfd):
    """pulse hands the password to dbt only as DBT_ENV_SECRET_PG_PASSWORD, whose value dbt
    masks wherever it writes. `echoed`: the failure text carries the password's value (here
    through the database name, a stand-in for any error that echoes it), so without the
    masking the sentinel would be in dbt's output; `wrong_host`: a connection that fails."""
    work = secrets_everywhere
    if case == "wrong_host":
        target = Target("postgres", host="pulse-no-such-host.invalid", port=pg_server.port,
                        user=pg_server.user, dbname="pulse")
    else:
        target = Target("postgres", host=pg_server.host, port=pg_server.port,
                        user=pg_server.user, dbname=f"pulse_{PG_PASSWORD}")
    env = {"DBT_LOG_PATH": str(work / "dbt-logs"), "DBT_TARGET_PATH": str(work / "dbt-target")}
    assert "PULSE_PG_PASSWORD" not in dbt_process_env() and \
        dbt_process_env()["DBT_ENV_SECRET_PG_PASSWORD"] == PG_PASSWORD
    assert target.dbt_env()["DBT_ENV_SECRET_PG_PASSWORD"] == PG_PASSWORD
    assert "PULSE_PG_PASSWORD" not in target.dbt_env()
    streamed: list[str] = []
    with pytest.raises(DbtError) as captured:
        run_dbt(["run", "--select", "stg_events"], target=target, env=env, capture=True)
    with pytest.raises(DbtError) as streamed_error:
        run_dbt(["debug"], target=target, env=env, on_line=lambda line, proc: streamed.append(line))
    out, err = capfd.readouterr()
    everything = out + err + captured.value.output_tail + streamed_error.value.output_tail
    everything += "\n".join(streamed)
    marker = "pulse-no-such-host.invalid" if case == "wrong_host" else "does not exist"
    assert marker in everything  # dbt did report the failure
    if case == "echoed":
        assert "pulse_*****" in everything  # ... with the password masked, by dbt
    assert leaks(everything) == []
    logs = list((work / "dbt-logs").rglob("*.log"))
    assert logs and all(PG_PASSWORD not in p.read_text(errors="replace") for p in logs)
    found = files_with_leaks(work)
    if case == "echoed":  # dbt's manifests rightly record the database name of every node
        found = {p: s for p, s in found.items() if not p.startswith(str(work / "dbt-target"))}
    assert found == {}


def test_profiles_read_passwords_only_from_dbt_secret_names(tmp_path, monkeypatch):
    import re

    import yaml

    from warehouse.dbt import profiles_dir, project_dir

    example = (project_dir() / "profiles.yml.example").read_text()
    outputs = yaml.safe_load(example)["pulse"]["outputs"]
    passwords = {name: out["password"] for name, out in outputs.items() if "password" in out}
    assert set(passwords) == {"postgres", "redshift"}
    assert all(re.search(r"env_var\('DBT_ENV_SECRET_[A-Z_]+'", p) for p in passwords.values())
    assert not re.search(r"env_var\('PULSE_[A-Z]+_PASSWORD'", example)
    # a profiles.yml from the older example is refused in one line naming the variable
    (tmp_path / "profiles.yml").write_text(
        example.replace("DBT_ENV_SECRET_PG_PASSWORD", "PULSE_PG_PASSWORD"))
    with pytest.raises(ValueError, match=r"reads PULSE_PG_PASSWORD; .*DBT_ENV_SECRET_PG_PASSWORD"):
        profiles_dir(tmp_path)
    (tmp_path / "profiles.yml").write_text(example)  # the current one is taken as it is
    assert profiles_dir(tmp_path) == tmp_path
