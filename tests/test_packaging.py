"""The built wheel carries the package data the program needs at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_contains_tables_and_snapshot(tmp_path: Path):
    # built from a copy without an earlier build's leftovers (`build/` would be packed as it is)
    source = tmp_path / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            "build", "dist", "*.egg-info", ".git", ".ci-venv", "node_modules", "editors", "__pycache__"
        ),
    )
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
            str(source),
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
    # every module of the source tree is in the wheel (a package missing from pyproject's list is not)
    for folder, prefix in (("server", "advisor"), ("pricing", "advisor/pricing"), ("rules", "advisor/rules")):
        for source in (REPO / folder).rglob("*.py"):
            relative = source.relative_to(REPO / folder)
            if folder == "server" and relative.parts[0] in ("pricing", "rules"):
                continue
            assert f"{prefix}/{relative.as_posix()}" in names, (
                f"{folder}/{relative} missing from {wheel.name}"
            )
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "advisor = advisor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_python_dash_m_advisor():
    r = subprocess.run(
        [sys.executable, "-m", "advisor", "--version"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and r.stdout.strip().startswith("advisor ")
