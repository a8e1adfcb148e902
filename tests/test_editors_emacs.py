"""editors/emacs/advisor.el loads in batch Emacs, registers the server with Eglot, and (with Eglot
installed: Emacs 29+, or Debian's elpa-eglot on 28) fixes the example end to end. Skipped when Emacs is
not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ADVISOR_EL = REPO / "editors" / "emacs" / "advisor.el"
E2E_EL = REPO / "editors" / "emacs" / "test" / "e2e.el"
EMACS = shutil.which("emacs")

pytestmark = pytest.mark.skipif(EMACS is None, reason="emacs not installed")


def emacs(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert EMACS is not None
    return subprocess.run(
        [EMACS, "--batch", "-l", str(ADVISOR_EL), *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def has_eglot() -> bool:
    assert EMACS is not None
    proc = subprocess.run(
        [EMACS, "--batch", "--eval", "(kill-emacs (if (require 'eglot nil t) 0 1))"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return proc.returncode == 0


def test_advisor_el_loads() -> None:
    proc = emacs(
        "--eval",
        "(kill-emacs (if (and (featurep 'advisor) (fboundp 'advisor-terraform-mode)"
        ' (equal (advisor--contact) (list "advisor" "serve" :initializationOptions advisor-settings))'
        ' (eq (cdr (assoc "x.tf" auto-mode-alist (lambda (re f) (string-match-p re f))))'
        " (if (fboundp 'terraform-mode) 'terraform-mode 'advisor-terraform-mode))) 0 3))",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_templates_by_content() -> None:
    """YAML and JSON buffers get the server when their content is a template or plan, whatever
    their name; other YAML and JSON buffers keep their own server (editors/emacs/test/templates.el)."""
    proc = emacs("-l", str(REPO / "editors" / "emacs" / "test" / "templates.el"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok: aws-refarch-wordpress-04-web.yaml gets advisor" in proc.stderr
    assert "ok: docker-compose.yaml left alone" in proc.stderr


def test_registered_with_eglot() -> None:
    if not has_eglot():
        pytest.skip("eglot not available (Emacs 29+, or elpa-eglot)")
    proc = emacs(
        "--eval",
        "(progn (require 'eglot)"
        " (let ((entry (assoc 'terraform-mode eglot-server-programs"
        "   (lambda (modes m) (and (listp modes) (memq m modes))))))"
        "  (kill-emacs (if (and entry (eq (cdr entry) #'advisor--contact)) 0 4))))",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_eglot_end_to_end() -> None:
    if not has_eglot():
        pytest.skip("eglot not available (Emacs 29+, or elpa-eglot)")
    beside = Path(sys.executable).with_name("advisor")
    advisor = str(beside) if beside.exists() else shutil.which("advisor")
    assert advisor, "the advisor executable is not installed"
    env = {"ADVISOR_BIN": advisor, "ADVISOR_EXAMPLE": str(REPO / "examples" / "storage" / "main.tf")}
    proc = emacs("-l", str(E2E_EL), env=env, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "emacs-e2e" in proc.stdout and "passed" in proc.stdout
