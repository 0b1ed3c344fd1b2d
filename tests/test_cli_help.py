"""`pulse` explains itself: every command and sub-subcommand prints its own usage with a help
line for every option (and its default), `pulse --help` lists the commands one line each, and
`pulse dbt` passes dbt's own top-level options (`--version`) through untouched."""

from __future__ import annotations

import argparse

import pytest

from pipeline.cli import build_parser, main
from warehouse.dbt import dbt_command
from warehouse.target import Target


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: p for a in parser._actions if isinstance(a, argparse._SubParsersAction)
            for name, p in a.choices.items()}


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for name, sub in _subcommands(parser).items():
        yield from _walk(sub, (*path, name))


COMMANDS = [path for path, _ in _walk(build_parser())]


def test_the_walk_reaches_every_command_and_sub_subcommand():
    assert {("run",), ("dbt",), ("tables", "list"), ("tables", "check"), ("experiment", "report"),
            ("monitor", "backtest"), ("generate",)} <= set(COMMANDS)
    assert len(COMMANDS) >= 17


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "pulse" for p in COMMANDS])
def test_help_documents_every_option_with_its_default(path, capsys):
    parser = dict(_walk(build_parser()))[path]
    with pytest.raises(SystemExit) as caught:
        main([*path, "--help"])
    out, err = capsys.readouterr()
    assert caught.value.code == 0, err
    assert out.startswith(f"usage: {' '.join(['pulse', *path])} "), out[:200]  # its own usage
    assert parser.description, f"`pulse {' '.join(path)}` has no description"
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"`pulse {' '.join(path)}` {name} has no help"
        if action.option_strings and action.default not in (None, False):
            assert "default" in formatter._get_help_string(action), \
                f"`pulse {' '.join(path)}` {name} does not show its default {action.default!r}"
        if "--target" in action.option_strings:
            assert "PULSE_TARGET" in action.help and "duckdb" in action.help
        assert (action.metavar or name.split("/")[-1]) in out  # and its help says so


def test_top_level_help_lists_each_command_on_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in subs._choices_actions}
    assert set(helps) >= {"generate", "run", "summary", "dbt", "tables", "status", "monitor"}
    lines = out.splitlines()
    for name, text in helps.items():
        assert text, f"pulse {name} has no one-line help"
        assert [ln.split() for ln in lines if ln.split()[:1] == [name]] == [[name, *text.split()]], \
            f"`pulse --help` does not list {name} on one line with its help"
    assert "--target" not in out and "-v, --verbose" in out


def test_every_command_that_takes_a_warehouse_documents_target():
    takes = [p for p, parser in _walk(build_parser())
             if any("--target" in a.option_strings for a in parser._actions)]
    assert {("run",), ("summary",), ("dbt",), ("status",), ("verify",), ("monitor",),
            ("monitor", "backtest"), ("experiment", "report"), ("explore",)} <= set(takes)


def test_dbt_gets_pulse_flags_only_with_a_command():
    target = Target("duckdb", duckdb_path="x.duckdb")
    assert dbt_command(["--version"], target)[1:] == ["--version"]
    assert dbt_command([], target)[1:] == []
    build = dbt_command(["build", "--select", "fct_events"], target)
    assert build[1:4] == ["build", "--select", "fct_events"]
    assert "--project-dir" in build and "--profiles-dir" in build
    assert build[-2:] == ["--target", "duckdb"]
    assert "--project-dir" in dbt_command(["--log-level", "debug", "docs", "generate"], target)


def test_pulse_dbt_version_works(capfd):
    assert main(["dbt", "--", "--version"]) == 0
    out, err = capfd.readouterr()
    assert "installed" in out and "No such option" not in out + err
