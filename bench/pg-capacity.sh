#!/usr/bin/env bash
# PostgreSQL's share of a sync request, and what one instance sustains (issue 28, docs/DESIGN.md).
#   DETECTOR_PG_PORT=55439 ./bench/pg-capacity.sh [--seconds 20] [--clients 8]
# 1. Round trips per sync request: the service (Release, yolox_nano_416 only, default plan and
#    image store) on a fresh database detector_pgcap; PostgreSQL's own counters (pg_stat_statements
#    calls, pg_stat_database commits and rows) over an idle window, then over 212 sync
#    `POST /v1/detect` (the 53 COCO photos of coco-ccby, each sent by 4 tenants in turn: every one
#    a result-cache miss, each tenant under its plan's rate), then 3 s for the photos stored behind
#    the answers. Background work (feeds, sweeps, Hangfire) is subtracted at the idle window's rate.
# 2. Inserts one instance sustains: pgbench, --clients connections for --seconds, each transaction
#    one INSERT into results.results of a copy of a real result row from step 1 (new id and image
#    hash), with synchronous_commit off (the development cluster's setting) and then on; then
#    audit.append alone (the hash chain's one-writer lock), one entry per transaction.
# Loads pg_stat_statements into the worktree's private cluster (one restart, the first time) and
# leaves it loaded. Prints a summary; writes nothing outside .run/ and the cluster. About 2.5 minutes.
set -euo pipefail
# shellcheck source=../deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/dev-env.sh"
# shellcheck source=../deploy/dev-service.sh
source "$DETECTOR_ROOT/deploy/dev-service.sh"
cd "$DETECTOR_ROOT"

seconds=20 clients=8 tenants=4 idle_s=15
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--clients N]" >&2; exit 2 ;;
  esac
done
db=detector_pgcap
photos=("$DETECTOR_SHARED"/datasets/coco-ccby/val2017/*.jpg "$DETECTOR_SHARED"/datasets/coco-ccby/train2017/*.jpg)
((${#photos[@]} > 0)) || detector_die "no photos under $DETECTOR_SHARED/datasets/coco-ccby"

detector_bootstrap
detector_pg_start
if ! detector_psql_admin -d postgres -tAc 'SHOW shared_preload_libraries' | grep -q pg_stat_statements; then
  detector_log "Loading pg_stat_statements (restarts the private cluster on port $DETECTOR_PG_PORT once)"
  detector_psql_admin -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  detector_pg_stop
  detector_pg_start
fi
detector_psql_admin -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
detector_pg_ensure_db "$db"
detector_psql_admin -d postgres -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
detector_export_env "$db"
sql() { detector_psql_admin -d postgres -tA "$@"; }

detector_log "Building Detector.Web (Release)"
dotnet build Detector.Web/Detector.Web.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dll="$(detector_web_dll Release)"
[[ -n $dll ]] || detector_die "Detector.Web.dll not found under Detector.Web/bin/Release"

# Throwaway secrets for this run only (never printed), an image directory, a free port.
work="$(mktemp -d "$DETECTOR_RUN_DIR/pgcap.XXXXXX")"
chmod 700 "$work"
service_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $service_pid ]] && kill -0 "$service_pid" 2>/dev/null; then detector_service_stop "$service_pid"; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rnd() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
head -c 32 /dev/urandom | base64 >"$work/master-key"
Tenancy__AdminApiKey="adm_$(rnd 24)" Tenancy__ApiKeyHashSecret="$(rnd 32)"
Compliance__AuditSubjectKey="$(rnd 32)" Jobs__Webhooks__SigningSecret="$(rnd 32)"
export Tenancy__AdminApiKey Tenancy__ApiKeyHashSecret Compliance__AuditSubjectKey Jobs__Webhooks__SigningSecret
export ImageStore__Encryption__MasterKeyFile="$work/master-key"
export ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Development Shutdown__DrainDelaySeconds=0
export ImageStore__Path="$work/images" Models__Enabled__0=yolox_nano_416
mkdir -p "$ImageStore__Path"
detector_log "Starting Detector.Web on $ASPNETCORE_URLS (log: $work/service.log until the run ends)"
(cd Detector.Web && exec dotnet "$dll") >"$work/service.log" 2>&1 </dev/null &
service_pid=$!
DETECTOR_SERVICE_LOG="$work/service.log" detector_wait_ready "$service_pid"
base="$(detector_base_url)"

keys=()
for ((t = 0; t < tenants; t++)); do
  body="$(detector_curl -X POST "$base/v1/admin/tenants" -H "X-Api-Key: $Tenancy__AdminApiKey" \
    -H 'Content-Type: application/json' -d "{\"name\":\"pgcap-$t\"}")"
  keys+=("$(_detector_json_field api_key <<<"$body")")
done
detect() { detector_curl -o /dev/null -w '%{http_code}\n' -H "X-Api-Key: $1" -F "image=@$2" "$base/v1/detect"; }
# Warm-up: each tenant's first request (key lookup, its data key) with a photo not measured.
for key in "${keys[@]}"; do detect "$key" "$DETECTOR_SHARED/datasets/samples/dog.jpg" >/dev/null; done
sleep 3

snapshot() { # snapshot TABLE: the statements of $db so far, kept in the postgres database
  sql -c "DROP TABLE IF EXISTS $1" -c "CREATE TABLE $1 AS SELECT s.query, sum(s.calls) AS calls, sum(s.rows) AS rows
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db' GROUP BY s.query" \
    -c "INSERT INTO $1 SELECT '#commits', xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
    FROM pg_stat_database WHERE datname = '$db'"
}
reset() {
  sql -c 'SELECT pg_stat_statements_reset()' >/dev/null
  detector_psql_admin -d "$db" -tA -c 'SELECT pg_stat_reset()' >/dev/null
}

detector_log "Idle window: ${idle_s} s"
reset
sleep "$idle_s"
snapshot pgcap_idle

n=$((${#photos[@]} * tenants))
detector_log "Sync window: $n requests, c=1 ($(cut -d' ' -f1-3 /proc/loadavg))"
reset
start=$(date +%s.%N)
for photo in "${photos[@]}"; do
  for key in "${keys[@]}"; do detect "$key" "$photo"; done
done >"$work/codes"
sleep 3
busy_s="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
snapshot pgcap_busy
ok="$(grep -c '^200$' "$work/codes" || true)"
[[ $ok == "$n" ]] || detector_die "only $ok of $n requests answered 200: $(sort "$work/codes" | uniq -c | tr '\n' ' ')"

echo
echo "## Round trips per sync request ($n requests, all 200, ${busy_s%.*} s window; idle ${idle_s} s subtracted)"
sql -F ' | ' -c "
WITH b AS (SELECT query, calls FROM pgcap_busy), i AS (SELECT query, calls FROM pgcap_idle),
per AS (SELECT b.query, (b.calls - coalesce(i.calls, 0) * $busy_s / $idle_s) / $n AS per_request
        FROM b LEFT JOIN i USING (query))
SELECT round(per_request::numeric, 3), left(regexp_replace(query, '\s+', ' ', 'g'), 110)
FROM per WHERE abs(per_request) >= 0.02 ORDER BY query = '#commits' DESC, per_request DESC"
sql -F ' | ' -c "
WITH per AS (SELECT b.query, (b.calls - coalesce(i.calls, 0) * $busy_s / $idle_s) / $n AS x,
                    (b.rows - coalesce(i.rows, 0) * $busy_s / $idle_s) / $n AS r
             FROM pgcap_busy b LEFT JOIN pgcap_idle i USING (query))
SELECT 'statements per request', round(sum(x) FILTER (WHERE query <> '#commits')::numeric, 2),
       'without BEGIN/DISCARD ALL (Npgsql sends them with the next command)',
       round(sum(x) FILTER (WHERE query <> '#commits' AND query !~* '^\s*(begin|discard all)')::numeric, 2),
       'transactions', round(sum(x) FILTER (WHERE query = '#commits')::numeric, 2),
       'rows written', round(sum(r) FILTER (WHERE query = '#commits')::numeric, 2)
FROM per"

detector_service_stop "$service_pid"
service_pid=""

# A real result row, copied per insert with a new id and image hash.
# As the service's role over TCP (it owns results.results), like the service connects.
export PGPASSWORD="$DETECTOR_PG_PASSWORD"
psql_db() { "$DETECTOR_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DETECTOR_PG_HOST" -p "$DETECTOR_PG_PORT" -U "$DETECTOR_PG_ROLE" -d "$db" "$@"; }
psql_db -c 'DROP TABLE IF EXISTS pgcap_template' \
  -c "CREATE TABLE pgcap_template AS SELECT * FROM results.results WHERE source = 'sync' ORDER BY octet_length(document::text) LIMIT 1 OFFSET $((n / 2))"
doc_bytes="$(psql_db -tAc 'SELECT octet_length(document::text) FROM pgcap_template')"
cat >"$work/insert.sql" <<'SQL'
INSERT INTO results.results (id, tenant_id, created_at, source, model_name, model_version, image_sha256,
  image_width, image_height, document, image_storage, created_by_key)
SELECT gen_random_uuid(), tenant_id, now(), source, model_name, model_version,
  encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), image_width, image_height, document,
  image_storage, created_by_key
FROM pgcap_template;
SQL
before="$(psql_db -tAc 'SELECT count(*) FROM results.results')"
echo
echo "## Inserts one instance sustains (results.results, median document $doc_bytes bytes, $clients clients, $seconds s each)"
for commit in off on; do
  tps="$(PGOPTIONS="-c synchronous_commit=$commit" "$DETECTOR_PG_BIN/pgbench" -n -M prepared \
    -h "$DETECTOR_PG_HOST" -p "$DETECTOR_PG_PORT" -U "$DETECTOR_PG_ROLE" -c "$clients" -j 2 -T "$seconds" \
    -f "$work/insert.sql" "$db" 2>&1 | sed -nE 's/^tps = ([0-9.]+).*/\1/p')"
  echo "synchronous_commit=$commit | $tps inserts/s | load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
# The audit chain is one writer at a time per database (audit.append takes a transaction advisory
# lock); the service's AuditWriter batches appends, so one append per transaction is its worst case.
cat >"$work/audit.sql" <<'SQL'
SELECT audit.append('result.create', 200, NULL, 'key-pgcap', '00000000-0000-0000-0000-000000000001'::uuid,
  'result-pgcap', '127.0.0.1', sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 1::smallint);
SQL
tps="$(PGOPTIONS='-c synchronous_commit=on' "$DETECTOR_PG_BIN/pgbench" -n -M prepared -h "$DETECTOR_PG_HOST" \
  -p "$DETECTOR_PG_PORT" -U "$DETECTOR_PG_ROLE" -c "$clients" -j 2 -T "$seconds" -f "$work/audit.sql" "$db" 2>&1 |
  sed -nE 's/^tps = ([0-9.]+).*/\1/p')"
echo "audit.append, one per transaction, synchronous_commit=on | $tps appends/s | load average $(cut -d' ' -f1-3 /proc/loadavg)"
after="$(psql_db -tAc 'SELECT count(*) FROM results.results')"
echo "rows added by pgbench: $((after - before)); $(nproc) cores; PostgreSQL $("$DETECTOR_PG_BIN/postgres" --version | awk '{print $3}')"
