"""Extra `pulse` subcommands: any module here with ``register(subparsers)`` is picked up.

A team adds a command by dropping a module in this folder, without editing pipeline/cli.py.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(sub: argparse._SubParsersAction) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
