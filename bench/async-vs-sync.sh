#!/usr/bin/env bash
# Async vs sync throughput in the same run: N images (default 500, the 31 COCO val2017 images
# repeated) sent to POST /v1/detect with C concurrent clients, then the same N images submitted as
# async jobs (POST /v1/jobs, J jobs) and timed from the first submission to the last item done.
# Writes bench/results/async-vs-sync.{json,md}. Knobs: BENCH_IMAGES, BENCH_CONCURRENCY, BENCH_JOBS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/dev-env.sh"
cd "$DETECTOR_ROOT"
N="${BENCH_IMAGES:-500}" C="${BENCH_CONCURRENCY:-8}" J="${BENCH_JOBS:-5}"
PORT="${BENCH_PORT:-$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")}" DB="bench_jobs_$$" OUT="$DETECTOR_ROOT/bench/results"
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'kill "${svc:-0}" 2>/dev/null || true; wait 2>/dev/null || true; detector_psql_admin -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

detector_bootstrap
detector_pg_start >/dev/null
detector_pg_ensure_db "$DB"
detector_export_env "$DB"
dotnet build Detector.Web -c Release -nologo -v q >/dev/null
admin="bench-admin-key-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
Tenancy__AdminApiKey="$admin" Tenancy__ApiKeyHashSecret="bench-hash-secret-$admin" Compliance__AuditSubjectKey="bench-audit-subject-key-$admin" ImageStore__Encryption__MasterKey="$(head -c 32 /dev/urandom | base64)" ImageStore__Path="$work/images" ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
  ASPNETCORE_ENVIRONMENT=Production Serilog__MinimumLevel__Default=Warning \
  dotnet Detector.Web/bin/Release/net10.0/Detector.Web.dll >"$work/service.log" 2>&1 &
svc=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 240); do curl -fs "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$base/health/ready" >/dev/null || { tail -50 "$work/service.log"; exit 1; }
key="$(curl -fs -H "X-Api-Key: $admin" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$base/v1/admin/tenants" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')"

files=("$DETECTOR_SHARED"/datasets/coco-ccby/val2017/*.jpg) # a glob expands sorted
list="$work/list"; : >"$list"
for ((i = 0; i < N; i++)); do echo "${files[i % ${#files[@]}]}" >>"$list"; done
now() { date +%s.%N; }

# Warm-up (not timed): a few sync requests.
head -n 16 "$list" | xargs -P "$C" -I{} curl -fs --retry 30 --retry-max-time 120 -o /dev/null -H "X-Api-Key: $key" -H 'Content-Type: image/jpeg' --data-binary @{} "$base/v1/detect"

# Sync: N requests, C at a time; a 503 is retried after its Retry-After, like a well-behaved client.
t0=$(now)
xargs -P "$C" -I{} curl -fs --retry 30 --retry-max-time 120 -o /dev/null -w '%{http_code}\n' -H "X-Api-Key: $key" -H 'Content-Type: image/jpeg' --data-binary @{} "$base/v1/detect" <"$list" >"$work/sync-codes"
t1=$(now)
sync_ok=$(grep -c '^200$' "$work/sync-codes" || true)

# Async: N images as J jobs (multipart), timed until every job is terminal.
per=$(((N + J - 1) / J))
split -l "$per" "$list" "$work/job-"
t2=$(now)
ids=()
for part in "$work"/job-*; do
  args=(); while read -r f; do args+=(-F "images=@$f;type=image/jpeg"); done <"$part"
  ids+=("$(curl -fs -H "X-Api-Key: $key" "${args[@]}" "$base/v1/jobs" | sed -E 's/.*"id":"([^"]+)".*/\1/')")
done
t3=$(now)
async_ok=0
for id in "${ids[@]}"; do
  while :; do
    body="$(curl -fs -H "X-Api-Key: $key" "$base/v1/jobs/$id")"
    status="$(sed -E 's/.*"status":"([^"]+)".*/\1/' <<<"$body" | head -c 40)"
    case "$status" in succeeded|partially_failed|failed|cancelled) break ;; esac
    sleep 0.1
  done
  async_ok=$((async_ok + $(sed -E 's/.*"succeeded":([0-9]+).*/\1/' <<<"$body")))
done
t4=$(now)

read -r sync_s async_s submit_s sync_ips async_ips ratio < <(awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v n="$N" \
  'BEGIN { s=b-a; as=e-c; printf "%.3f %.3f %.3f %.2f %.2f %.3f\n", s, as, d-c, n/s, n/as, (n/as)/(n/s) }')
cpus=$(nproc)
cat >"$OUT/async-vs-sync.json" <<JSON
{"images": $N, "sync_concurrency": $C, "async_jobs": $J, "cpus": $cpus,
 "sync": {"seconds": $sync_s, "images_per_s": $sync_ips, "ok": $sync_ok},
 "async": {"seconds": $async_s, "submit_seconds": $submit_s, "images_per_s": $async_ips, "ok": $async_ok},
 "async_over_sync": $ratio, "target": 0.9,
 "command": "bench/async-vs-sync.sh (BENCH_IMAGES=$N BENCH_CONCURRENCY=$C BENCH_JOBS=$J)"}
JSON
cat >"$OUT/async-vs-sync.md" <<MD
# Async jobs vs sync detect ($(date -u +%Y-%m-%dT%H:%MZ), $cpus CPUs)

Command: \`bench/async-vs-sync.sh\` (BENCH_IMAGES=$N, BENCH_CONCURRENCY=$C, BENCH_JOBS=$J); same service process, same run.

| Path | Images OK | Seconds | Images/s |
|---|---|---|---|
| Sync \`POST /v1/detect\`, $C concurrent clients | $sync_ok / $N | $sync_s | $sync_ips |
| Async \`POST /v1/jobs\` ($J jobs, submit to last item; submit took ${submit_s} s) | $async_ok / $N | $async_s | $async_ips |

Async / sync throughput: **$ratio** (target ≥ 0.9).
MD
cat "$OUT/async-vs-sync.md"
