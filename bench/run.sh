#!/usr/bin/env bash
# Detector benchmark (issue 3), YOLOX-nano on CPU. One command:
#   ./bench/run.sh            full run (about 11 minutes)
#   ./bench/run.sh --quick    shorter windows, 4,000-request soak (about 4 minutes)
#   ./bench/run.sh --parts 1,3,micro [--quick]    only some parts (1-12, cost, cache, shadow, variants, micro, ab)
#   BENCH_AB_ROOT=../before ./bench/run.sh --parts ab   a Release build of another checkout against this one
#   ./bench/run.sh micro      BenchmarkDotNet memory-diagnoser run of the batch loop only
# Builds Release, starts the private PostgreSQL (deploy/dev-env.sh) with a fresh database
# detector_bench, runs the parts and writes bench/results/<timestamp>/{results.json,summary.md}
# (git-ignored), then prints the summary. The service runs as a child process on a free port of
# 127.0.0.1 and is stopped on every exit path. PostgreSQL is left running (./run.sh stop stops it).
set -euo pipefail
# A port of its own so the benchmark does not collide with clusters of other checkouts.
# shellcheck source=../deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/dev-env.sh"
cd "$DETECTOR_ROOT"

detector_bootstrap
detector_log "Building Detector.Web and Detector.Bench (Release)"
dotnet build Detector.Web/Detector.Web.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Detector.Bench/Detector.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
bench_dll=bench/Detector.Bench/bin/Release/net10.0/Detector.Bench.dll

if [[ ${1:-} == micro ]]; then
  shift
  exec dotnet "$bench_dll" micro "$@"
fi

detector_pg_start
# A fresh database for every run.
detector_psql_admin -d postgres -c "DROP DATABASE IF EXISTS detector_bench WITH (FORCE)"
detector_pg_ensure_db detector_bench
detector_export_env detector_bench
# Part ab: the older build gets a database of its own (it does not know this checkout's migrations).
if [[ -n ${BENCH_AB_ROOT:-} ]]; then
  detector_psql_admin -d postgres -c "DROP DATABASE IF EXISTS detector_bench_before WITH (FORCE)"
  detector_pg_ensure_db detector_bench_before
  export BENCH_AB_CONNECTION_STRING
  BENCH_AB_CONNECTION_STRING="$(detector_connection_string detector_bench_before)"
fi
export Models__Directory

out="bench/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
bench_pid=""
s3_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap below, which shellcheck does not follow
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  # (if, not &&: under set -e a failing wait at the end of an && list would end cleanup here)
  if [[ -n $bench_pid ]]; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  if [[ -n $s3_pid ]]; then
    kill -TERM "$s3_pid" 2>/dev/null || true
    wait "$s3_pid" 2>/dev/null || true
  fi
  rm -rf "$out/s3rver"
  # The harness kills the service itself; this catches a harness that died hard.
  if [[ -s $out/service.pid ]]; then
    pid="$(<"$out/service.pid")"
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q Detector.Web; then
      detector_warn "stopping leftover service pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$out/service.pid"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Part 10 measures the S3 backend against s3rver (deploy/s3rver) on a loopback port of its own.
s3_port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
mkdir -p "$out/s3rver"
node "$DETECTOR_S3RVER" -d "$out/s3rver" -a 127.0.0.1 -p "$s3_port" --silent --no-vhost-buckets --configure-bucket detector-bench &
s3_pid=$!
export BENCH_S3_URL="http://127.0.0.1:$s3_port" BENCH_S3_BUCKET=detector-bench

detector_log "Running the benchmark -> $out (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
dotnet "$bench_dll" all --root "$DETECTOR_ROOT" --out "$out" "$@" &
bench_pid=$!
set +e
wait "$bench_pid"
rc=$?
set -e
bench_pid=""
exit "$rc"
