#!/usr/bin/env bash
# Installs what Detector's scripts need and is missing, and nothing else: curl, flock
# (util-linux), PostgreSQL, Node.js, ONNX's Python checker, promtool, ShellCheck, the DejaVu fonts
# and headless Chromium (the evaluation report's plots and its screenshot test) from Debian's packages,
# s3rver (the S3-compatible server the tests start, pinned by deploy/s3rver/package-lock.json)
# from npm, and, when run as root, the `postgres` system user that owns the private cluster
# (initdb refuses to run as root). Checks for the .NET 10 SDK and says how to install it. Quiet
# and quick when everything is there; run by run.sh, test.sh, bench/ and .ci/ scripts before
# they start anything.
set -euo pipefail
# shellcheck source=deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else detector_die "need root to run: $* (install it yourself, or install sudo)"
  fi
}

if ! command -v dotnet >/dev/null 2>&1; then
  cat >&2 <<'MSG'
error: the .NET SDK (`dotnet`) was not found on PATH. Detector needs the .NET 10 SDK.
Install it, e.g.:
  curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0
  export DOTNET_ROOT="$HOME/.dotnet" PATH="$HOME/.dotnet:$PATH"
or see https://learn.microsoft.com/dotnet/core/install/linux (package: dotnet-sdk-10.0).
MSG
  exit 1
fi
dotnet --list-sdks 2>/dev/null | grep -q '^10\.' || detector_warn "no .NET 10 SDK in 'dotnet --list-sdks'; the build will probably fail"

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
_detector_pg_bindir >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# ONNX's own checker and shape inference, which the tests run on the graphs `export` writes.
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing+=(python3-onnx)
# promtool, which checks and unit-tests the alert rules (deploy/observability/prometheus). Debian
# ships it only inside the server's package; on a systemd host that also starts a Prometheus on
# :9090 (`systemctl disable --now prometheus` if you do not want it).
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# The tests run ShellCheck over every shell script (Integration/Deployment/ShellcheckTests).
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# DejaVu, the font of the evaluation report's plots (ScottPlot draws text with an installed font), and
# headless Chromium, in which a test renders that report page and takes its screenshot.
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]})); then
  detector_log "Installing ${missing[*]} with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  _detector_pg_bindir >/dev/null 2>&1 || detector_die "PostgreSQL still not found after apt-get install postgresql"
fi

if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
  detector_log "Creating the postgres system user (owner of the private cluster)"
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# An npm package set pinned by a folder of this repository (its package.json and lock file),
# installed under .run/tools and reinstalled when the lock file changes (the copy says which it is):
# npm_tool <repository folder> <install folder> <file that must exist> <what it is>
npm_tool() {
  local source="$DETECTOR_ROOT/$1" target="$DETECTOR_RUN_DIR/tools/$2"
  if [[ ! -f $3 ]] || ! cmp -s "$source/package-lock.json" "$target/package-lock.json"; then
    detector_log "Installing $4 into $target"
    rm -rf "$target"
    mkdir -p "$target"
    cp "$source/package.json" "$source/package-lock.json" "$target/"
    (cd "$target" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || detector_die "npm ci of $4 failed"
  fi
}

# The compose-spec JSON schema the tests validate the compose files with (installed, never committed).
npm_tool deploy/compose/schema compose-schema "$DETECTOR_COMPOSE_SCHEMA" "the compose-spec schema"
npm_tool deploy/s3rver s3rver "$DETECTOR_S3RVER" "s3rver (the tests' S3-compatible server)"
