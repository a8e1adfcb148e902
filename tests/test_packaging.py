"""The built wheel carries the package data the program needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_contains_tables_and_snapshot(tmp_path: Path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("advisor_iac-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "advisor/__init__.py",
        "advisor/cli.py",
        "advisor/iac/terraform.py",
        "advisor/py.typed",
        "advisor/pricing/catalog.py",
        "advisor/pricing/data/snapshot.sqlite",
        "advisor/pricing/NOTICE",
        "advisor/rules/engine.py",
        "advisor/rules/kinds/volume_type.py",
        "advisor/rules/tables/rules.toml",
        "advisor/rules/tables/families.toml",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "advisor = advisor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_python_dash_m_advisor():
    r = subprocess.run(
        [sys.executable, "-m", "advisor", "--version"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and r.stdout.strip().startswith("advisor ")
