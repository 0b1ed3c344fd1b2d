"""Run dbt for pulse: the right project dir, profiles and target, without user set-up.

dbt reads ``profiles.yml`` from the project root when a user created one (the README's
setup line); otherwise pulse materialises ``profiles.yml.example`` under ``data/`` so
`pulse` and `make` work on a fresh clone without copying anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class DbtError(RuntimeError):
    """dbt exited non-zero."""

    def __init__(self, args: list[str], returncode: int) -> None:
        super().__init__(f"dbt {' '.join(args)} failed with exit code {returncode}")
        self.returncode = returncode


def project_dir() -> Path:
    """The dbt project (repo root): PULSE_PROJECT_DIR, else the folder above this package."""
    root = Path(os.environ.get("PULSE_PROJECT_DIR", Path(__file__).resolve().parents[1]))
    if not (root / "dbt_project.yml").exists():
        raise FileNotFoundError(f"no dbt_project.yml in {root}; set PULSE_PROJECT_DIR")
    return root


def profiles_dir(root: Path) -> Path:
    if (root / "profiles.yml").exists():
        return root
    generated = root / "data" / ".dbt-profiles"
    generated.mkdir(parents=True, exist_ok=True)
    target = generated / "profiles.yml"
    source = root / "profiles.yml.example"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    return generated


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(args: list[str], target: str | None = None, env: dict[str, str] | None = None,
            capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``dbt <args>`` in the project; raise DbtError when it fails."""
    root = project_dir()
    cmd = [dbt_executable(), *args, "--project-dir", str(root),
           "--profiles-dir", str(profiles_dir(root))]
    if target:
        cmd += ["--target", target]
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    proc = subprocess.run(cmd, cwd=root, env=full_env, text=True,
                          capture_output=capture, check=False)
    if proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise DbtError(args, proc.returncode)
    return proc
