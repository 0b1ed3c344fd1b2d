"""`pulse lookml --out DIR`: write the Looker project generated from the dbt manifest (docs/bi.md)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def cmd_lookml(args: argparse.Namespace) -> int:
    from bi.lookml import LookmlError, check_fresh, generate, load_artifacts, write
    from warehouse.dbt import DbtError, run_dbt

    if args.manifest_dir:
        target_path = Path(args.manifest_dir)
    else:
        target_path = Path(tempfile.mkdtemp(prefix="pulse-lookml-"))
        try:  # dbt parse needs no warehouse connection
            run_dbt(["parse", "--quiet", "--target-path", str(target_path)], capture=True,
                    env={"DBT_TARGET_PATH": str(target_path)})
        except DbtError as exc:
            print(f"pulse lookml: {exc}", file=sys.stderr)
            return 1
    try:
        files = generate(*load_artifacts(target_path))
    except LookmlError as exc:
        print(f"pulse lookml: {exc}", file=sys.stderr)
        return 1
    if args.check:
        problems = check_fresh(files, args.out)
        for problem in problems:
            print(f"{args.out}: {problem}", file=sys.stderr)
        if problems:
            print("the committed LookML is stale: run `pulse lookml --out " + os.fspath(args.out) + "`",
                  file=sys.stderr)
        return 1 if problems else 0
    for path in write(files, args.out):
        print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lookml", help="generate the Looker project (LookML) from the dbt manifest")
    p.add_argument("--out", required=True, type=Path, help="folder to write (e.g. bi/looker)")
    p.add_argument("--manifest-dir", help="dbt target folder with manifest.json and semantic_manifest.json "
                                          "(default: run `dbt parse` into a temporary folder)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when --out differs from a fresh generation")
    p.set_defaults(func=cmd_lookml)
