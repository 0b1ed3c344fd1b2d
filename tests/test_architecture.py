"""The house keeps its shape: layers import downwards only, dialects stay in the warehouse
layer, pulse_meta is declared in one module, nobody imports another module's private names.

Layers (top to bottom): pipeline → monitor | bi | explore (siblings) → ingest → warehouse; the
simulator stands apart (it imports none of them and none of them import it, only the CLI's
`pulse generate`). The contracts live in pyproject.toml ([tool.importlinter]) and are checked
with import-linter.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "ingest", "monitor", "bi", "explore", "pipeline", "simulator")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def python_files(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in (REPO / root).rglob("*.py"))


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_layers_hold():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "upward"), [
    ("warehouse/target.py", "import ingest.contract"),
    ("ingest/contract.py", "from monitor import alerts"),
    ("monitor/config.py", "import pipeline.orchestrate"),
    ("simulator/__init__.py", "import warehouse"),
    ("bi/lookml.py", "import monitor.alerts"),
])
def test_an_upward_import_fails_the_contract(tmp_path, module, upward):
    """The contract is not vacuous: the same tree with one upward import added is refused."""
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0
    path = tmp_path / module
    path.write_text(path.read_text() + f"\n{upward}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout


def _imported_private_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    own = ".".join(path.relative_to(REPO).with_suffix("").parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in (*PACKAGES, "tests") or node.module == own:
                continue
            found += [f"{node.module}.{a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_module_imports_a_private_name_of_another():
    offenders = {str(p.relative_to(REPO)): names for p in python_files(*PACKAGES, "tests", "bench")
                 if (names := _imported_private_names(p))}
    assert not offenders, offenders


DIALECT = re.compile(r"""(==|!=|\bin\b)\s*\(?\s*["'](duckdb|postgres|redshift)["']|"""
                     r"""["'](duckdb|postgres|redshift)["']\s*(==|!=)|\.dialect\b|\bdialect\s*[=:]""")


def test_no_dialect_branch_outside_the_warehouse_layer():
    offenders = [f"{p.relative_to(REPO)}:{i}: {line.strip()}"
                 for p in python_files("ingest", "monitor", "bi", "pipeline", "simulator")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if DIALECT.search(line)]
    assert not offenders, "\n".join(offenders)


def _pulse_meta_sql(path: Path) -> list[str]:
    """String literals that name a pulse_meta table or run SQL on one (docstrings aside)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    sql = re.compile(r"\b(select|insert|update|delete|create|lock|from|into)\b", re.I)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and "pulse_meta" in node.value
            and (re.fullmatch(r"\s*pulse_meta(\.\w+)?\s*", node.value) or sql.search(node.value))]


def test_pulse_meta_is_declared_in_one_module():
    """Only warehouse/meta.py creates, reads or writes pulse_meta tables."""
    offenders = {str(p.relative_to(REPO)): found for p in python_files(*PACKAGES)
                 if p != REPO / "warehouse" / "meta.py" and (found := _pulse_meta_sql(p))}
    assert not offenders, offenders


def test_one_run_path():
    users = [str(p.relative_to(REPO)) for p in python_files(*PACKAGES, "tests", "bench")
             if p.name != "test_architecture.py" and "run_pipeline" in p.read_text()]
    assert not users, users


TEST_ONLY = ("gbstats",)  # oracles of the experiment tests, installed with the dev extra only


def _imported_top_level(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}


def test_test_oracles_stay_out_of_pulse():
    offenders = {str(p.relative_to(REPO)): sorted(found) for p in python_files(*PACKAGES, "bench")
                 if (found := _imported_top_level(p) & set(TEST_ONLY))}
    assert not offenders, offenders
    assert "gbstats" in _imported_top_level(REPO / "tests" / "test_experiment_stats.py")
