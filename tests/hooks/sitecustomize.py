"""Test hooks for `pulse run` subprocesses (tests/test_orchestration.py puts this folder on
their PYTHONPATH): when PULSE_PAUSE_AT, PULSE_FAIL_AT or PULSE_TRACE_INGEST is set, the
pause points of pausepoints.py are installed the moment ``pipeline.tasks`` is imported.
Other processes that inherit the environment (dbt) never import pipeline.tasks and are left
alone."""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

HOOKED = "pipeline.tasks"


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs pausepoints.install() right after pipeline.tasks finished executing."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != HOOKED:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_install(module):
            exec_module(module)
            import pausepoints

            pausepoints.install()

        spec.loader.exec_module = exec_and_install
        return spec


if any(os.environ.get(v) for v in ("PULSE_PAUSE_AT", "PULSE_FAIL_AT", "PULSE_TRACE_INGEST")):
    sys.meta_path.insert(0, _AfterImport())
