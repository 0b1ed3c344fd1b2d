"""Run dbt for pulse: the right project dir, profiles and target, without user set-up.

Used alike by the orchestrator's transform, the monitors' critical-value tests and
`pulse dbt`; the warehouse comes from a `Target`, so dbt and pulse always agree on it.

dbt reads ``profiles.yml`` from the project root when a user created one (the README's
setup line); otherwise pulse materialises ``profiles.yml.example`` under ``data/`` so
`pulse` and `make` work on a fresh clone without copying anything.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from warehouse.clients.base import refuse_if_lock_lost
from warehouse.target import DBT_SECRET_ENV, Target, dbt_process_env


class DbtError(RuntimeError):
    """dbt exited non-zero."""

    def __init__(self, args: list[str], returncode: int, output_tail: str = "") -> None:
        super().__init__(f"dbt {' '.join(args)} failed with exit code {returncode}")
        self.returncode = returncode
        self.output_tail = output_tail


def project_dir() -> Path:
    """The dbt project (repo root): PULSE_PROJECT_DIR, else the folder above this package."""
    root = Path(os.environ.get("PULSE_PROJECT_DIR", Path(__file__).resolve().parents[1]))
    if not (root / "dbt_project.yml").exists():
        raise FileNotFoundError(f"no dbt_project.yml in {root}; set PULSE_PROJECT_DIR")
    return root


def profiles_dir(root: Path) -> Path:
    if (root / "profiles.yml").exists():
        _check_secret_names(root / "profiles.yml")
        return root
    generated = root / "data" / ".dbt-profiles"
    generated.mkdir(parents=True, exist_ok=True)
    target = generated / "profiles.yml"
    source = root / "profiles.yml.example"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        # write aside and rename: a concurrent dbt run never reads a half-written profile
        scratch = generated / f".profiles.yml.tmp-{os.getpid()}"
        shutil.copyfile(source, scratch)
        os.replace(scratch, target)
    return generated


def _check_secret_names(profiles: Path) -> None:
    """A profiles.yml written from an older example reads the PULSE_* password, which dbt
    would neither get (see warehouse.target.DBT_SECRET_ENV) nor keep out of its logs."""
    text = profiles.read_text(encoding="utf-8", errors="replace")
    for name, secret_name in DBT_SECRET_ENV.items():
        if re.search(rf"""env_var\(\s*["']{name}["']""", text):
            raise ValueError(f"{profiles} reads {name}; pulse passes that password to dbt as "
                             f"{secret_name}, which dbt keeps out of its logs: use "
                             f"env_var('{secret_name}') there (see profiles.yml.example)")


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


# dbt's commands; each takes --project-dir, --profiles-dir and --target. Without one of them
# (`dbt --version`, `dbt --help`) dbt rejects those options, so pulse adds them only with a command.
DBT_COMMANDS = frozenset({"build", "clean", "clone", "compile", "debug", "deps", "docs", "init",
                          "list", "ls", "parse", "retry", "run", "run-operation", "seed", "show",
                          "snapshot", "source", "test"})


def dbt_command(args: list[str], target: Target | None = None) -> list[str]:
    """The dbt command line for ``dbt <args>``: pulse's project, profiles and target are
    added when `args` name a dbt command (`dbt --version` is passed on as it is)."""
    cmd = [dbt_executable(), *args]
    if not DBT_COMMANDS.intersection(args):
        return cmd
    root = project_dir()
    cmd += ["--project-dir", str(root), "--profiles-dir", str(profiles_dir(root))]
    if target is not None:
        cmd += ["--target", target.name]
    return cmd


def run_dbt(args: list[str], target: Target | None = None, env: dict[str, str] | None = None,
            capture: bool = False,
            on_line: Callable[[str, subprocess.Popen], None] | None = None
            ) -> subprocess.CompletedProcess:
    """Run ``dbt <args>`` in the project against `target`; raise DbtError when it fails.

    With on_line, dbt's output is streamed line by line to the callback (the orchestrator
    logs it into the run log) instead of going to the terminal.
    """
    root = project_dir()
    cmd = dbt_command(args, target)
    full_env = {**dbt_process_env(), **(target.dbt_env() if target is not None else {}),
                **dbt_process_env(env or {})}
    full_env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if on_line is not None:  # a log, not a terminal: no colour codes
        full_env.setdefault("DBT_USE_COLORS", "false")
        return _run_streaming(cmd, args, root, full_env, on_line)
    proc = subprocess.run(cmd, cwd=root, env=full_env, text=True,
                          capture_output=capture, check=False)
    if proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise DbtError(args, proc.returncode, (proc.stdout or "")[-5000:])
    return proc


def _run_streaming(cmd: list[str], args: list[str], root: Path, env: dict[str, str],
                   on_line: Callable[[str, subprocess.Popen], None]) -> subprocess.CompletedProcess:
    """Popen dbt, feed each output line to on_line; never leave dbt running if we are stopped
    (a timeout, an error in the callback, or a lock of this run lost to another run)."""
    tail: collections.deque[str] = collections.deque(maxlen=60)
    proc = subprocess.Popen(cmd, cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=1)
    try:
        for line in proc.stdout:
            tail.append(line)
            on_line(line.rstrip("\n"), proc)
            refuse_if_lock_lost()  # another run holds our lock now: stop dbt writing
        proc.wait()
    finally:
        if proc.poll() is None:  # a timeout or an error in the callback: stop dbt too
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise DbtError(args, proc.returncode, "".join(tail))
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(tail), "")
