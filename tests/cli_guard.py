"""Suite-wide check: no `pulse` command run by any test prints a Python traceback for a user
error.

tests/conftest.py installs it for the whole suite: `pipeline.cli.main` (the `pulse` entry
point, imported by tests as ``from pipeline.cli import main``) is wrapped so that what it
writes to stdout, stderr and the console log is recorded, and `subprocess.run` of the
`pulse` executable (or ``python -m pipeline.cli``) has its captured output inspected.

A user error is any exit of a command other than `pulse run`, and for `pulse run` the exit
codes of a user error: 2 (usage), 3 (already running), 4 (missing input). A failed task of
`pulse run` (exit 1) keeps its traceback, which is the operator's lead to the fault.
"""

from __future__ import annotations

import functools
import io
import logging
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

TRACEBACK = "Traceback (most recent call last)"
RUN_USER_ERROR_CODES = frozenset({2, 3, 4})


def check_output(argv: Sequence[str], code: int | None, output: str) -> None:
    """Fail the test when a user error of `pulse argv` printed a traceback."""
    if code in (0, None) or TRACEBACK not in output:
        return
    command = next((a for a in argv if not a.startswith("-")), "")
    if command == "run" and code not in RUN_USER_ERROR_CODES:
        return
    start = output.index(TRACEBACK)
    pytest.fail(f"`pulse {' '.join(map(str, argv))}` exited {code} and printed a Python "
                f"traceback for a user error:\n{output[max(0, start - 300):start + 2000]}",
                pytrace=False)


class _Tee(io.TextIOBase):
    def __init__(self, stream, copy: io.StringIO) -> None:
        self.stream, self.copy = stream, copy

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", "utf-8")

    def __getattr__(self, name):
        return getattr(self.stream, name)


def guard_main(main: Callable[..., int]) -> Callable[..., int]:
    """`main` recording its terminal output (stdout, stderr, console log records)."""
    if getattr(main, "__pulse_guarded__", False):
        return main

    @functools.wraps(main)
    def guarded(argv: list[str] | None = None) -> int:
        copy = io.StringIO()
        handler = logging.StreamHandler(copy)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.WARNING)  # what reaches the terminal without --verbose
        root = logging.getLogger()
        root.addHandler(handler)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(sys.stdout, copy), _Tee(sys.stderr, copy)
        code: int | None = None
        try:
            code = main(argv)
            return code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            raise
        except BaseException:
            code = 1
            raise
        finally:
            sys.stdout, sys.stderr = saved
            root.removeHandler(handler)
            check_output(argv or sys.argv[1:], code, copy.getvalue())

    guarded.__pulse_guarded__ = True
    return guarded


def _pulse_argv(cmd) -> list[str] | None:
    if not isinstance(cmd, (list, tuple)) or not cmd:
        return None
    parts = [str(c) for c in cmd]
    if Path(parts[0]).name == "pulse":
        return parts[1:]
    if parts[1:3] == ["-m", "pipeline.cli"]:
        return parts[3:]
    return None


def guard_subprocess_run(run: Callable[..., subprocess.CompletedProcess]):
    """`subprocess.run` that inspects the captured output of `pulse` commands."""
    if getattr(run, "__pulse_guarded__", False):
        return run

    @functools.wraps(run)
    def guarded(*args, **kwargs):
        result = run(*args, **kwargs)
        argv = _pulse_argv(args[0] if args else kwargs.get("args"))
        if argv is not None:
            text = "".join(x if isinstance(x, str) else x.decode(errors="replace")
                           for x in (result.stdout, result.stderr) if x)
            check_output(argv, result.returncode, text)
        return result

    guarded.__pulse_guarded__ = True
    return guarded


def install() -> None:
    """Wrap the entry points (called once, from tests/conftest.py, before tests import them)."""
    import pipeline.cli

    pipeline.cli.main = guard_main(pipeline.cli.main)
    subprocess.run = guard_subprocess_run(subprocess.run)
