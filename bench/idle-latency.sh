#!/usr/bin/env bash
# Idle single-image latency over HTTP, per model: p50/p95 of N sequential requests
# (default 50) of samples/dog.jpg against a freshly started service (Release build, its own
# database), after 5 warm-up requests. Writes bench/results/idle-latency-<time>.{json,md}.
#   bench/idle-latency.sh [N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/dev-env.sh"
cd "$DETECTOR_ROOT"
n="${1:-50}"
port="${DETECTOR_BENCH_PORT:-18181}"
out_dir="$DETECTOR_ROOT/bench/results"
mkdir -p "$out_dir" "$DETECTOR_RUN_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

detector_bootstrap
detector_pg_start
detector_pg_ensure_db detector_bench
detector_export_env detector_bench
Tenancy__AdminApiKey="bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export Tenancy__AdminApiKey Tenancy__ApiKeyHashSecret="bench-hash-secret-$Tenancy__AdminApiKey"
export Compliance__AuditSubjectKey="bench-audit-subject-key-$Tenancy__AdminApiKey"
export ImageStore__Encryption__MasterKey="${ImageStore__Encryption__MasterKey:-$(head -c 32 /dev/urandom | base64)}"
export ASPNETCORE_URLS="http://127.0.0.1:$port" ImageStore__Path="$DETECTOR_RUN_DIR/bench-images"
export Serilog__MinimumLevel__Default=Warning

dotnet build Detector.Web/Detector.Web.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
log="$DETECTOR_RUN_DIR/bench-service.log"
(cd Detector.Web && exec dotnet bin/Release/net10.0/Detector.Web.dll) >"$log" 2>&1 </dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  curl -fs "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -20 "$log"; exit 1; }
  sleep 0.5
done
key="$(curl -fs -H "X-Api-Key: $Tenancy__AdminApiKey" -H 'Content-Type: application/json' \
  -d '{"name":"bench"}' "$base/v1/admin/tenants" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')"
image="$DETECTOR_SHARED/datasets/samples/dog.jpg"

json="["
md="| model | p50 ms | p95 ms | mean server total_ms | requests |\n|---|---|---|---|---|\n"
for model in yolox_nano_416 picodet_s_320 picodet_s_416 nanodet_m_416; do
  for _ in 1 2 3 4 5; do
    curl -fs -o /dev/null -H "X-Api-Key: $key" -F "image=@$image" "$base/v1/detect?model=$model"
  done
  times=() server=()
  for _ in $(seq 1 "$n"); do
    line="$(curl -fs -w ' %{time_total}' -H "X-Api-Key: $key" -F "image=@$image" "$base/v1/detect?model=$model")"
    times+=("${line##* }")
    server+=("$(sed -E 's/.*"total_ms":([0-9.]+).*/\1/' <<<"${line% *}")")
  done
  read -r p50 p95 < <(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {i50=int((NR+1)*0.5); i95=int(NR*0.95+0.999); printf "%.1f %.1f\n", a[i50]*1000, a[i95]*1000}')
  mean_server="$(printf '%s\n' "${server[@]}" | awk '{s+=$1} END {printf "%.1f", s/NR}')"
  json+="{\"model\":\"$model\",\"p50_ms\":$p50,\"p95_ms\":$p95,\"mean_server_total_ms\":$mean_server,\"requests\":$n},"
  md+="| $model | $p50 | $p95 | $mean_server | $n |\n"
done
json="${json%,}]"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "$json" >"$out_dir/idle-latency-$stamp.json"
printf "Idle latency over HTTP (dog.jpg 768x576, sequential, %s requests per model, load avg %s)\n\n$md" "$n" "$load" | tee "$out_dir/idle-latency-$stamp.md"
