"""Every option and environment variable is checked where it enters: a user's mistake is one
line naming the setting and what it accepts, exit code 2, before any work, file or alert;
commands that only read create nothing. The walk runs each error through `pulse`'s entry
point (guarded suite-wide by tests/cli_guard.py against tracebacks)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from ingest.schema import Column
from ingest.tables import LogTable
from pipeline.cli import main
from tests import cli_guard

RUN = ["run", "--raw", "raw", "--from", "2026-10-01"]
THIS = str(Path(__file__).resolve())  # an existing file outside the test's folder

# (argv, environment, what the one-line message must name)
USER_ERRORS = [
    (["run", "--from", "2026-10-05", "--to", "2026-10-01"], {}, "--to 2026-10-01 is before --from"),
    ([*RUN, "--max-quarantine-share", "-1"], {},
     "--max-quarantine-share: -1 is out of range: use a number from 0 to 1"),
    ([*RUN, "--max-quarantine-share", "1.5"], {}, "from 0 to 1"),
    ([*RUN, "--max-quarantine-share", "nan"], {}, "--max-quarantine-share"),
    ([*RUN, "--workers", "0"], {}, "--workers: 0 is out of range: use a whole number at least 1"),
    ([*RUN, "--workers", "two"], {}, "--workers: 'two' is not a whole number"),
    ([*RUN, "--max-late-days", "-2"], {}, "--max-late-days"),
    ([*RUN, "--wait-for-input", "-1"], {}, "--wait-for-input"),
    ([*RUN, "--task-timeout", "-5"], {}, "--task-timeout"),
    ([*RUN, "--dbt-timeout", "inf"], {}, "--dbt-timeout"),
    ([*RUN, "--scheduler-url", "localhost:8082"], {}, "--scheduler-url"),
    ([*RUN, "--format", "csv"], {}, "--format"),
    ([*RUN, "--mrjob-conf", "no-such.conf"], {}, "--mrjob-conf: 'no-such.conf' is not an existing file"),
    (["run", "--from", "2026-13-01"], {}, "--from: '2026-13-01' is not a YYYY-MM-DD date"),
    (["generate", "--start", "2026-10-01", "--days", "0"], {}, "--days"),
    (["generate", "--start", "2026-10-01", "--users", "-3"], {}, "--users"),
    (["generate", "--start", "2026-10-01", "--fault-rate", "2"], {}, "--fault-rate"),
    (["generate", "--start", "2026-10-01", "--anomaly", "2026-10-02:login"], {},
     "--anomaly: '2026-10-02:login' is not DATE:EVENT:FACTOR"),
    (["generate", "--start", "2026-10-01", "--anomaly", "2026-10-02:login:-1"], {}, "a factor >= 0"),
    (["generate", "--start", "2026-10-01", "--days", "3", "--anomaly", "2026-10-09:login:0"], {},
     "--anomaly 2026-10-09: outside the generated days 2026-10-01..2026-10-03"),
    (["generate", "--start", "2026-10-01", "--anomaly", "2026-10-02:logins:0"], {},
     "--anomaly event 'logins': not an event the simulator writes"),
    (["status", "--runs", "0"], {}, "--runs"),
    (["monitor", "--date", "2026-10-01", "--now", "noon"], {}, "--now"),
    (["status", "--target", "postgres"], {"PULSE_PG_PORT": "abc"},
     "PULSE_PG_PORT='abc' is not a port number (1-65535)"),
    (["status", "--target", "redshift"], {"PULSE_RS_PORT": "70000"}, "PULSE_RS_PORT"),
    (["status"], {"PULSE_TARGET": "oracle"},
     "unknown target 'oracle'; choose one of duckdb, postgres, redshift"),
    (["summary"], {"PULSE_RETRY_ATTEMPTS": "0"}, "PULSE_RETRY_ATTEMPTS='0'"),
    (RUN, {"PULSE_RETRY_BASE_SECONDS": "soon"}, "PULSE_RETRY_BASE_SECONDS"),
    (["status"], {"PULSE_DUCKDB_PATH": "/tmp"}, "PULSE_DUCKDB_PATH='/tmp' is a folder"),
    (["summary"], {"PULSE_DUCKDB_PATH": ":memory:"}, "PULSE_DUCKDB_PATH=':memory:': an in-memory"),
    (RUN, {"PULSE_DUCKDB_PATH": f"{THIS}/w.duckdb"}, f"{THIS!r} is a file, not a folder"),
    (["status"], {"PULSE_DUCKDB_PATH": "w\x01.duckdb"}, "PULSE_DUCKDB_PATH='w\\x01.duckdb' contains"),
    (["status"], {"PULSE_STATE_DIR": THIS}, f"PULSE_STATE_DIR={THIS!r} is a file; give a folder"),
    (RUN, {"PULSE_STATE_DIR": f"{THIS}/state"}, f"{THIS!r} is a file, not a folder"),
    (RUN, {"PULSE_S3_ENDPOINT_URL": "localhost:9000"},
     "PULSE_S3_ENDPOINT_URL='localhost:9000' is not an http(s) URL with a host"),
    (["verify", "--from", "2026-10-01"], {"PULSE_S3_ENDPOINT_URL": "http://"},
     "PULSE_S3_ENDPOINT_URL='http://'"),
    (["status"], {"PULSE_S3_ENDPOINT_URL": "http://key:s3cretpw@minio:port"},
     "PULSE_S3_ENDPOINT_URL='http://***@minio:port'"),  # the credentials redacted
    (RUN, {"PULSE_SPARK_MASTER": "local[two]"},
     "PULSE_SPARK_MASTER='local[two]' is not a Spark master: use local, local[N]"),
    (["generate", "--start", "2026-10-01"], {"PULSE_SPARK_MASTER": "spark:/host:7077"},
     "PULSE_SPARK_MASTER"),
]


@pytest.mark.parametrize(("argv", "env", "expected"), USER_ERRORS,
                         ids=[" ".join([*a, *e]) for a, e, _ in USER_ERRORS])
def test_user_error_is_one_line_naming_the_setting(argv, env, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_ALERT_LOG", str(tmp_path / "alerts.log"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as caught:
        main(argv)
    out, err = capsys.readouterr()
    assert caught.value.code == 2
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert expected in err
    assert "s3cretpw" not in err
    assert list(tmp_path.iterdir()) == []  # no work, no log, no alert, no state


@pytest.mark.parametrize(("name", "value"), [
    ("PULSE_SPARK_MASTER", "local"), ("PULSE_SPARK_MASTER", "local[*]"),
    ("PULSE_SPARK_MASTER", "local[4,2]"), ("PULSE_SPARK_MASTER", "spark://h1:7077,h2:7077"),
    ("PULSE_SPARK_MASTER", "yarn"), ("PULSE_SPARK_MASTER", "k8s://https://10.0.0.1:443"),
    ("PULSE_SPARK_MASTER", ""),
    ("PULSE_S3_ENDPOINT_URL", "http://127.0.0.1:9000"), ("PULSE_S3_ENDPOINT_URL", "https://s3.eu"),
    ("PULSE_S3_ENDPOINT_URL", ""),
    ("PULSE_STATE_DIR", "not/yet/there"), ("PULSE_DUCKDB_PATH", "new/dir/w.duckdb"),
])
def test_good_environment_settings_pass_and_create_nothing(name, value, tmp_path, monkeypatch):
    from pipeline.settings import check_environment
    from warehouse.target import target_from_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    check_environment()
    target_from_env("duckdb")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["summary", "status"])
def test_read_only_commands_in_an_empty_folder_create_nothing(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("PULSE_DUCKDB_PATH", "PULSE_STATE_DIR", "PULSE_TARGET"):
        monkeypatch.delenv(name, raising=False)
    code = main([command])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert len((out + err).strip().splitlines()) == 1, out + err
    assert "nothing is built yet" in out + err
    assert list(tmp_path.iterdir()) == []


def test_summary_of_a_warehouse_without_marts_says_so(duckdb_target, monkeypatch, capsys):
    import warehouse

    with warehouse.connection(duckdb_target) as client:
        client.execute("select 1")  # the file exists, nothing is built in it
    monkeypatch.setenv("PULSE_DUCKDB_PATH", duckdb_target.duckdb_path)
    assert main(["summary", "--target", "duckdb"]) == 1
    assert "nothing is built yet" in capsys.readouterr().err


def test_run_into_a_missing_postgres_database_is_one_line(pg_server, tmp_path, monkeypatch, capsys):
    """No traceback, no run log, no alert: the database to create and how, in one line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "raw" / "2026-10-01").mkdir(parents=True)
    for name, value in (("HOST", pg_server.host), ("PORT", str(pg_server.port)),
                        ("USER", pg_server.user), ("DBNAME", "pulse_no_such_database")):
        monkeypatch.setenv(f"PULSE_PG_{name}", value)
    monkeypatch.setenv("PULSE_ALERT_LOG", str(tmp_path / "alerts.log"))
    assert main([*RUN, "--target", "postgres"]) == 1
    out, err = capsys.readouterr()
    assert len((out + err).strip().splitlines()) == 1, out + err
    assert 'database "pulse_no_such_database" does not exist' in err and "createdb" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no log, no alert, no state


@pytest.mark.parametrize("name", ["select", "order", "user", "table", "tag", "left"])
def test_reserved_words_are_refused_where_a_log_table_is_declared(name):
    with pytest.raises(ValueError, match=f"column '{name}' is a reserved SQL word"):
        LogTable(name="clicks", description="d", columns=[Column(name, "string", True, "d")],
                 derive=lambda e: None)
    with pytest.raises(ValueError, match=f"log table name '{name}' is a reserved SQL word"):
        LogTable(name=name, description="d", columns=[Column("x", "string", True, "d")],
                 derive=lambda e: None)


def test_unreserved_names_are_accepted():
    table = LogTable(name="clicks", description="d", derive=lambda e: None,
                     columns=[Column(n, "string", True, "d") for n in ("action", "variant", "platform")])
    assert table.schema.column_names[1:4] == ["action", "variant", "platform"]


def test_the_suite_wide_guard_fails_a_traceback_for_a_user_error():
    trace = "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad\n"
    for argv, code in ((["summary"], 1), (["run", "--from", "x"], 2), (["run"], 4)):
        with pytest.raises(pytest.fail.Exception, match="printed a Python traceback"):
            cli_guard.check_output(argv, code, trace)
    cli_guard.check_output(["run"], 1, trace)  # a failed task keeps its traceback
    cli_guard.check_output(["summary"], 2, "pulse summary: error: one line\n")
    assert getattr(main, "__pulse_guarded__", False)  # the entry point tests import is guarded


@pytest.mark.parametrize(("config_text", "expected"), [
    (None, "No such file"),
    ("alerts: [unclosed", "not valid YAML"),
    ("- a list", "expected a mapping"),
    ("alerts: {sinks: {slack: {kind: webhook, url: 'https://hooks/x'}}}", "looks like a secret"),
])
def test_bad_monitor_config_is_refused_before_a_run_does_any_work(config_text, expected, tmp_path,
                                                                  monkeypatch, caplog):
    work = tmp_path / "work"
    work.mkdir()
    config = tmp_path / "monitors.yml"
    if config_text is not None:
        config.write_text(config_text, encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setenv("PULSE_MONITOR_CONFIG", str(config))
    assert main(RUN) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert expected in errors[0].getMessage() and "\n" not in errors[0].getMessage()
    assert list(work.iterdir()) == []


def _fake_pulse(folder: Path, code: int) -> str:
    """An executable named `pulse` that prints a traceback (and more lines) and exits `code`."""
    script = folder / "pulse"
    script.write_text("#!/bin/sh\nsleep ${PULSE_FAKE_SLEEP:-0}\necho 'pulse run: starting'\n"
                      "printf 'Traceback (most recent call last):\\nValueError: bad\\n' >&2\n"
                      f"echo done\nexit {code}\n")
    script.chmod(0o755)
    return str(script)


def test_the_guard_inspects_pulse_subprocesses_too(tmp_path):
    """subprocess.run, and Popen whose output the test streams or sends to a file."""
    import subprocess

    pulse = _fake_pulse(tmp_path, 1)
    assert subprocess.Popen is cli_guard.GuardedPopen
    def failed():
        return pytest.raises(pytest.fail.Exception, match="printed a Python traceback")

    with failed():
        subprocess.run([pulse, "summary"], capture_output=True, text=True)
    with failed():  # streamed line by line, the end of the stream seen after the exit
        proc = subprocess.Popen([pulse, "status"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        proc.wait()
        lines = []
        for line in proc.stdout:
            lines.append(line)
    assert lines[0] == "pulse run: starting\n"  # the test still gets every line
    with failed():  # streamed in bytes, read() after poll()
        proc = subprocess.Popen([pulse, "summary"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while proc.poll() is None:
            time.sleep(0.01)
        proc.stdout.read()
        proc.stderr.read()
    with failed(), open(tmp_path / "out.log", "w") as log:  # written to a file
        log.write("earlier content\n")
        log.flush()
        subprocess.Popen([pulse, "explore"], stdout=log, stderr=subprocess.STDOUT).wait()
    # not checked: `pulse run` exit 1 (a failed task), other programs, a child killed by a signal
    assert subprocess.run([pulse, "run"], capture_output=True).returncode == 1
    assert subprocess.run(["sh", "-c", "echo 'Traceback (most recent call last)'; exit 1"],
                          capture_output=True).returncode == 1
    proc = subprocess.Popen([pulse, "summary"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={"PULSE_FAKE_SLEEP": "30"})
    proc.kill()
    assert proc.wait() < 0
    proc.stdout.read()


def test_run_window_refuses_a_bad_request_before_any_log_or_alert(tmp_path, monkeypatch):
    from datetime import date

    from pipeline.orchestrate import RunRequest, run_window
    from warehouse.target import Target

    monkeypatch.setenv("PULSE_ALERT_LOG", str(tmp_path / "alerts.log"))
    target = Target("duckdb", duckdb_path=str(tmp_path / "w.duckdb"))
    base = {"raw": str(tmp_path / "raw"), "lake": str(tmp_path / "lake"), "target": target,
            "log_dir": str(tmp_path / "logs")}
    with pytest.raises(ValueError, match="--to 2026-10-01 is before --from 2026-10-05"):
        run_window(RunRequest(start=date(2026, 10, 5), end=date(2026, 10, 1), **base))
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_window(RunRequest(start=date(2026, 10, 1), end=date(2026, 10, 1), workers=0, **base))
    assert list(tmp_path.iterdir()) == []
