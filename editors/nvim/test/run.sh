#!/usr/bin/env bash
# Runs test/e2e.lua in every given Neovim, with every way of starting the server that it offers, and
# test/modules.lua (a project of several modules and files) with the default way.
#   ADVISOR_NVIM   Neovim executables, space-separated (default: nvim)
#   ADVISOR_BIN    the advisor executable (default: advisor on PATH)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLUGIN=$(cd "$HERE/.." && pwd)
REPO=$(cd "$PLUGIN/../.." && pwd)
ADVISOR_BIN=${ADVISOR_BIN:-$(command -v advisor || true)}
[ -n "$ADVISOR_BIN" ] || { echo "nvim tests: no advisor executable (set ADVISOR_BIN)" >&2; exit 2; }
export ADVISOR_BIN ADVISOR_EXAMPLE="$REPO/examples/storage/main.tf" ADVISOR_PROJECT="$REPO/tests/fixtures/editors/batch"

passed=0
failed=0
for nvim in ${ADVISOR_NVIM:-nvim}; do
  if ! command -v "$nvim" >/dev/null 2>&1; then
    echo "nvim tests: $nvim not found" >&2
    failed=$((failed + 1))
    continue
  fi
  version=$("$nvim" --version | head -1)
  # every version: the default choice; 0.8+ also the older ways it still offers
  apis=("")
  case "$version" in
    "NVIM v0.7."*) ;;
    *) apis+=(start start_client) ;;
  esac
  for api in "${apis[@]}"; do
    label="$version api=${api:-auto}"
    start=$SECONDS
    if ADVISOR_NVIM_API=$api timeout 180 "$nvim" --headless --clean --cmd "set rtp^=$PLUGIN" \
      -c "luafile $HERE/e2e.lua" </dev/null; then
      echo "ok: $label ($((SECONDS - start)) s)"
      passed=$((passed + 1))
    else
      echo "FAILED: $label" >&2
      failed=$((failed + 1))
    fi
  done
  start=$SECONDS
  if timeout 180 "$nvim" --headless --clean --cmd "set rtp^=$PLUGIN" -c "luafile $HERE/modules.lua" </dev/null; then
    echo "ok: $version modules ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "FAILED: $version modules" >&2
    failed=$((failed + 1))
  fi
done
echo "nvim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
