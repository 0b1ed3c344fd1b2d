"""Suite-wide check: no `pulse` command run by any test prints a Python traceback for a user
error.

tests/conftest.py installs it for the whole suite: `pipeline.cli.main` (the `pulse` entry
point, imported by tests as ``from pipeline.cli import main``) is wrapped so that what it
writes to stdout, stderr and the console log is recorded, and every child process of the
`pulse` executable (or ``python -m pipeline.cli``) has its output inspected once it exited:
`subprocess.Popen` is replaced by `GuardedPopen` (which `subprocess.run` uses too), which
records what `communicate()` returns, what the test reads from a piped stdout/stderr as it
streams (read, readline, iteration: checked at the end of the stream) and what the child
wrote to a named file given as its stdout/stderr. A child killed by a signal is not checked.

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


def _text(data) -> str:
    return data if isinstance(data, str) else bytes(data).decode(errors="replace")


class _RecordedStream:
    """A child's piped stdout/stderr that copies what the test reads and tells the process
    when the stream ended (EOF or closed)."""

    def __init__(self, stream, owner: GuardedPopen) -> None:
        self._stream, self._owner, self.ended = stream, owner, False

    def _got(self, data, at_end: bool):
        if data:
            self._owner._copy.append(_text(data))
        if at_end:
            self.ended = True
            self._owner._check()
        return data

    def read(self, *args):
        data = self._stream.read(*args)
        return self._got(data, not data or not args or args[0] is None or args[0] < 0)

    def readline(self, *args):
        data = self._stream.readline(*args)
        return self._got(data, not data)

    def readlines(self, *args):
        lines = self._stream.readlines(*args)
        self._got("".join(map(_text, lines)), not lines or not args or args[0] <= 0)
        return lines

    def __iter__(self):
        return self

    def __next__(self):
        data = self.readline()
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        self._stream.close()
        self.ended = True
        self._owner._check()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class GuardedPopen(subprocess.Popen):
    """`subprocess.Popen` that, for a `pulse` command, checks the child's output (as far as
    the test read it, or as it wrote it to a named file) once the child has exited."""

    __pulse_guarded__ = True

    def __init__(self, args, *more, **kwargs) -> None:
        self._argv = _pulse_argv(args)
        self._copy: list[str] = []
        self._checked = self._in_communicate = False
        self._files = [(f.name, f.tell()) for f in (kwargs.get("stdout"), kwargs.get("stderr"))
                       if self._argv is not None and hasattr(f, "name") and hasattr(f, "tell")
                       and isinstance(f.name, str)]
        super().__init__(args, *more, **kwargs)
        if self._argv is not None:
            self.stdout = self.stdout and _RecordedStream(self.stdout, self)
            self.stderr = self.stderr and _RecordedStream(self.stderr, self)

    def _streams(self) -> list[_RecordedStream]:
        return [s for s in (self.stdout, self.stderr) if isinstance(s, _RecordedStream)]

    def _check(self) -> None:
        if (self._argv is None or self._checked or self._in_communicate
                or self.returncode is None or not all(s.ended for s in self._streams())):
            return
        self._checked = True
        if self.returncode < 0:  # killed by a signal (a test's SIGKILL): not a user error
            return
        for name, start in self._files:
            with open(name, "rb") as f:
                f.seek(start)
                self._copy.append(_text(f.read()))
        check_output(self._argv, self.returncode, "".join(self._copy))

    def communicate(self, input=None, timeout=None):
        streams = self._streams()
        for s in streams:  # Popen reads its own pipes: hand it the real streams meanwhile
            setattr(self, "stdout" if s is self.stdout else "stderr", s._stream)
        self._in_communicate = True
        try:
            out, err = super().communicate(input, timeout)
        finally:
            self._in_communicate = False
            for s in streams:
                setattr(self, "stdout" if s._stream is self.stdout else "stderr", s)
        if self._argv is not None:
            self._copy += [_text(x) for x in (out, err) if x]
            for s in streams:
                s.ended = True
            self._check()
        return out, err

    def wait(self, timeout=None):
        code = super().wait(timeout)
        self._check()
        return code

    def poll(self):
        code = super().poll()
        self._check()
        return code


def install() -> None:
    """Wrap the entry points (called once, from tests/conftest.py, before tests import them)."""
    import pipeline.cli

    pipeline.cli.main = guard_main(pipeline.cli.main)
    subprocess.Popen = GuardedPopen  # subprocess.run starts its child through it too
