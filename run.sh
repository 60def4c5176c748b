#!/usr/bin/env bash
# Runs Detector locally: private PostgreSQL (.pgdata/, 127.0.0.1:55432), Release build of
# Detector.Web, a development tenant, then follows the service log until Ctrl-C.
#   ./run.sh          start (PostgreSQL keeps running after Ctrl-C)
#   ./run.sh stop     stop the service (if left running) and PostgreSQL
set -euo pipefail
# shellcheck source=deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy/dev-env.sh"
cd "$DETECTOR_ROOT"

SERVICE_PID_FILE="$DETECTOR_RUN_DIR/service.pid"
SERVICE_LOG="$DETECTOR_RUN_DIR/service.log"

# Prints the pid of a service started by an earlier ./run.sh that is still alive.
running_service_pid() {
  local pid
  [[ -s $SERVICE_PID_FILE ]] || return 1
  pid="$(<"$SERVICE_PID_FILE")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'Detector.Web'; then
    echo "$pid"
  else
    return 1
  fi
}

stop_service() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  detector_warn "service (pid $pid) did not stop in 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  stop)
    if pid="$(running_service_pid)"; then
      detector_log "Stopping the service (pid $pid)"
      stop_service "$pid"
    fi
    rm -f "$SERVICE_PID_FILE"
    detector_pg_stop
    exit 0
    ;;
  "" | start) ;;
  *)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac

if pid="$(running_service_pid)"; then
  detector_die "the service is already running (pid $pid, log $SERVICE_LOG); './run.sh stop' first"
fi

detector_require_dotnet
detector_require_tools
detector_pg_start
detector_pg_ensure_db detector
detector_export_env detector

# Admin key: from the environment, else generated once and kept in .run/admin-key.
if [[ -z ${Detector__AdminApiKey:-} ]]; then
  if [[ ! -s $DETECTOR_RUN_DIR/admin-key ]]; then
    (umask 077; printf 'adm_%s' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$DETECTOR_RUN_DIR/admin-key")
  fi
  Detector__AdminApiKey="$(<"$DETECTOR_RUN_DIR/admin-key")"
fi
export Detector__AdminApiKey
export ImageStore__Path="${ImageStore__Path:-$DETECTOR_ROOT/.data/images}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:8080}"
export ASPNETCORE_ENVIRONMENT=Development
mkdir -p "$ImageStore__Path"

# Base URL for this script's own requests: first of ASPNETCORE_URLS, wildcard hosts -> loopback.
base_url="${ASPNETCORE_URLS%%;*}"
base_url="$(sed -E 's#://(\+|\*|0\.0\.0\.0|\[::\])(:|/|$)#://127.0.0.1\2#' <<<"$base_url")"
base_url="${base_url%/}"
curl_opts=(-sS --max-time 10)
[[ $base_url == https://* ]] && curl_opts+=(-k)

# Something already listening there would answer our readiness probe instead of the service.
if [[ $(curl "${curl_opts[@]}" --max-time 3 -o /dev/null -w '%{http_code}' "$base_url/health/ready" 2>/dev/null || true) != 000 ]]; then
  detector_die "something is already listening on $base_url; stop it or set ASPNETCORE_URLS (e.g. http://127.0.0.1:8081)"
fi

detector_log "Building Detector.Web (Release)"
dotnet build Detector.Web/Detector.Web.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dll="$(find Detector.Web/bin/Release -maxdepth 2 -name Detector.Web.dll -path '*/net*/*' -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)"
[[ -n $dll ]] || detector_die "build output Detector.Web.dll not found under Detector.Web/bin/Release"

detector_log "Starting Detector.Web on $ASPNETCORE_URLS (log: $SERVICE_LOG)"
# Like `dotnet run`: the project folder is the content root (appsettings*.json, wwwroot).
(cd Detector.Web && exec dotnet "$DETECTOR_ROOT/$dll") >"$SERVICE_LOG" 2>&1 </dev/null &
service_pid=$!
echo "$service_pid" >"$SERVICE_PID_FILE"

tail_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null
  if kill -0 "$service_pid" 2>/dev/null; then
    detector_log "Stopping the service (PostgreSQL keeps running; './run.sh stop' stops it)"
    stop_service "$service_pid"
  fi
  rm -f "$SERVICE_PID_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wait for readiness (migrations run at start-up).
deadline=$((SECONDS + ${DETECTOR_READY_TIMEOUT:-120}))
while :; do
  if ! kill -0 "$service_pid" 2>/dev/null; then
    tail -n 40 "$SERVICE_LOG" >&2 || true
    detector_die "the service exited during start-up (full log: $SERVICE_LOG)"
  fi
  [[ $(curl "${curl_opts[@]}" -o /dev/null -w '%{http_code}' "$base_url/health/ready" 2>/dev/null || true) == 200 ]] && break
  if ((SECONDS >= deadline)); then
    tail -n 40 "$SERVICE_LOG" >&2 || true
    detector_die "$base_url/health/ready did not answer 200 within ${DETECTOR_READY_TIMEOUT:-120} s (full log: $SERVICE_LOG)"
  fi
  sleep 1
done

json_field() { # json_field NAME <json  (jq when available, else a plain regex)
  if command -v jq >/dev/null 2>&1; then jq -er --arg f "$1" '.[$f] // empty | tostring'
  else sed -nE "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\".*/\1/p" | head -n1
  fi
}

# Development tenant: reuse the stored key while GET /v1/results accepts it.
dev_key_file="$DETECTOR_RUN_DIR/dev-api-key"
dev_key=""
if [[ -s $dev_key_file ]]; then
  dev_key="$(<"$dev_key_file")"
  code="$(curl "${curl_opts[@]}" -o /dev/null -w '%{http_code}' -H "X-Api-Key: $dev_key" "$base_url/v1/results" || true)"
  if [[ $code != 200 ]]; then
    detector_log "Stored development API key was rejected (HTTP $code); creating a new tenant"
    dev_key=""
  fi
fi
if [[ -z $dev_key ]]; then
  for name in dev "dev-$(date +%Y%m%d%H%M%S)"; do
    body="$(curl "${curl_opts[@]}" -w '\n%{http_code}' -X POST "$base_url/v1/admin/tenants" \
      -H "X-Api-Key: $Detector__AdminApiKey" -H 'Content-Type: application/json' \
      -d "{\"name\":\"$name\"}" || true)"
    code="${body##*$'\n'}"
    body="${body%$'\n'*}"
    if [[ $code == 200 || $code == 201 ]]; then
      dev_key="$(json_field api_key <<<"$body" || true)"
      [[ -n $dev_key ]] && break
    fi
    # 409: a tenant named "dev" exists (its key is lost); try a fresh name once.
    [[ $code == 409 ]] && continue
    break
  done
  if [[ -n $dev_key ]]; then
    (umask 077; printf '%s' "$dev_key" >"$dev_key_file")
    detector_log "Created development tenant '$name'"
  else
    detector_warn "could not create a development tenant (HTTP $code): $body"
  fi
fi

sample="$(realpath -m --relative-to="$PWD" "$DETECTOR_SHARED/datasets/samples/dog.jpg")"
cat <<EOF

  Detector is ready: $base_url   (environment: Development)
    Admin API key: $Detector__AdminApiKey   (.run/admin-key)
    Dev API key:   ${dev_key:-<none>}   (.run/dev-api-key)
    Models:        $Models__Directory
    Database:      127.0.0.1:$DETECTOR_PG_PORT/detector   (deploy/pg.sh psql)

  Try it:
    KEY=\$(cat .run/dev-api-key)
    curl -s -H "X-Api-Key: \$KEY" -F image=@$sample $base_url/v1/detect

  Ctrl-C stops the service; './run.sh stop' also stops PostgreSQL.
  Service log follows (also in $SERVICE_LOG):

EOF

tail -n 20 -f --pid="$service_pid" "$SERVICE_LOG" &
tail_pid=$!
set +e
wait "$service_pid"
rc=$?
set -e
detector_log "The service exited (code $rc)"
exit "$rc"
