"""What a dbt user expects of the project folder: dbt's droppings are git-ignored, and the
model and column descriptions are persisted as warehouse comments (checked on a built
warehouse in tests/test_marts_equivalence.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", [".user.yml", "target/manifest.json", "logs/dbt.log",
                                  "dbt_packages/x/dbt_project.yml", "package-lock.yml",
                                  "dbt_internal_packages/x.yml", "profiles.yml",
                                  "data/.dbt-profiles/.user.yml"])
def test_dbt_droppings_are_git_ignored(path):
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT,
                             check=False)
    assert ignored.returncode == 0, f"{path} is not git-ignored"


def test_project_files_are_not_ignored():
    for path in ("dbt_project.yml", "models/marts/core/fct_events.sql", "profiles.yml.example"):
        assert subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT,
                              check=False).returncode == 1, path


def test_persist_docs_is_on_for_every_model():
    config = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["models"]["pulse"]
    assert config["+persist_docs"] == {"relation": True, "columns": True}
