#!/usr/bin/env bash
# Runs Detector locally: private PostgreSQL (.pgdata/, 127.0.0.1:61432), Release build of
# Detector.Web, a development tenant, then follows the service log until Ctrl-C.
#   ./run.sh          start (PostgreSQL keeps running after Ctrl-C)
#   ./run.sh stop     stop the service (if left running) and PostgreSQL
set -euo pipefail
# shellcheck source=deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy/dev-env.sh"
# shellcheck source=deploy/dev-service.sh
source "$DETECTOR_ROOT/deploy/dev-service.sh"
cd "$DETECTOR_ROOT"

case "${1:-}" in
  stop)
    if pid="$(detector_service_pid)"; then
      detector_log "Stopping the service (pid $pid)"
      detector_service_stop "$pid"
    fi
    rm -f "$DETECTOR_SERVICE_PID_FILE"
    detector_pg_stop
    exit 0
    ;;
  "" | start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

if pid="$(detector_service_pid)"; then
  detector_die "the service is already running (pid $pid, log $DETECTOR_SERVICE_LOG); './run.sh stop' first"
fi

detector_bootstrap
detector_pg_start
detector_pg_ensure_db detector
detector_export_env detector

# Admin key: from the environment, else generated once and kept in .run/admin-key. The section's
# old name (Detector__AdminApiKey, Detector__ApiKeyHashSecret) is still taken, and the service warns about it.
Tenancy__AdminApiKey="${Tenancy__AdminApiKey:-${Detector__AdminApiKey:-}}"
Tenancy__ApiKeyHashSecret="${Tenancy__ApiKeyHashSecret:-${Detector__ApiKeyHashSecret:-}}"
if [[ -z ${Tenancy__AdminApiKey:-} ]]; then
  [[ -s $DETECTOR_RUN_DIR/admin-key ]] || (umask 077; printf 'adm_%s' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$DETECTOR_RUN_DIR/admin-key")
  Tenancy__AdminApiKey="$(<"$DETECTOR_RUN_DIR/admin-key")"
fi
# Key hashing secret: likewise, generated once (.run/api-key-hash-secret); losing it invalidates the dev keys.
if [[ -z ${Tenancy__ApiKeyHashSecret:-} ]]; then
  [[ -s $DETECTOR_RUN_DIR/api-key-hash-secret ]] || (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$DETECTOR_RUN_DIR/api-key-hash-secret")
  Tenancy__ApiKeyHashSecret="$(<"$DETECTOR_RUN_DIR/api-key-hash-secret")"
fi
# Image master key (images are encrypted at rest under per-tenant keys wrapped by it): likewise
# generated once (.run/image-master-key); losing it makes the stored images unreadable.
if [[ -z ${ImageStore__Encryption__MasterKey:-} && -z ${ImageStore__Encryption__MasterKeyFile:-} ]]; then
  [[ -s $DETECTOR_RUN_DIR/image-master-key ]] || (umask 077; head -c 32 /dev/urandom | base64 >"$DETECTOR_RUN_DIR/image-master-key")
  export ImageStore__Encryption__MasterKeyFile="$DETECTOR_RUN_DIR/image-master-key"
fi
# Audit subject key (audit entries' who/whom/what/where are digested under it): likewise, generated once.
detector_export_audit_key
# Webhook master secret (each tenant's webhook secret derives from it): likewise, generated once.
if [[ -z ${Jobs__Webhooks__SigningSecret:-} ]]; then
  [[ -s $DETECTOR_RUN_DIR/webhook-master-secret ]] || (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$DETECTOR_RUN_DIR/webhook-master-secret")
  Jobs__Webhooks__SigningSecret="$(<"$DETECTOR_RUN_DIR/webhook-master-secret")"
  export Jobs__Webhooks__SigningSecret
fi
export Tenancy__AdminApiKey Tenancy__ApiKeyHashSecret ASPNETCORE_ENVIRONMENT=Development
# One local instance and no load balancer to hand traffic to: stop without the drain delay.
export Shutdown__DrainDelaySeconds="${Shutdown__DrainDelaySeconds:-0}"
export ImageStore__Path="${ImageStore__Path:-$DETECTOR_ROOT/.data/images}" ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:8080}"
mkdir -p "$ImageStore__Path"
base_url="$(detector_base_url)"

# Something already listening there would answer our readiness probe instead of the service.
if [[ $(detector_curl --max-time 3 -o /dev/null -w '%{http_code}' "$base_url/health/ready" 2>/dev/null || true) != 000 ]]; then
  detector_die "something is already listening on $base_url; stop it or set ASPNETCORE_URLS (e.g. http://127.0.0.1:8081)"
fi

detector_log "Building Detector.Web (Release)"
dotnet build Detector.Web/Detector.Web.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dll="$(detector_web_dll Release)"
[[ -n $dll ]] || detector_die "build output Detector.Web.dll not found under Detector.Web/bin/Release"

detector_log "Starting Detector.Web on $ASPNETCORE_URLS (log: $DETECTOR_SERVICE_LOG)"
# Like `dotnet run`: the project folder is the content root (appsettings*.json, wwwroot).
(cd Detector.Web && exec dotnet "$dll") >"$DETECTOR_SERVICE_LOG" 2>&1 </dev/null &
service_pid=$!
echo "$service_pid" >"$DETECTOR_SERVICE_PID_FILE"

tail_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap below, which shellcheck does not follow
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null
  if kill -0 "$service_pid" 2>/dev/null; then
    detector_log "Stopping the service (PostgreSQL keeps running; './run.sh stop' stops it)"
    detector_service_stop "$service_pid"
  fi
  rm -f "$DETECTOR_SERVICE_PID_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

detector_wait_ready "$service_pid"
dev_key="$(detector_dev_key)"
sample="$(realpath -m --relative-to="$PWD" "$DETECTOR_SHARED/datasets/samples/dog.jpg")"
cat <<MSG

  Detector is ready: $base_url   (environment: Development)
    Admin API key: $Tenancy__AdminApiKey   (.run/admin-key)
    Dev API key:   ${dev_key:-<none>}   (.run/dev-api-key)
    Models:        $Models__Directory
    Database:      127.0.0.1:$DETECTOR_PG_PORT/detector   (deploy/pg.sh psql)
    Audit log:     ./detector audit verify   (prints the chain's head; keep it and pass it back with --expect-head)

  Try it:
    KEY=\$(cat .run/dev-api-key)
    curl -s -H "X-Api-Key: \$KEY" -F image=@$sample $base_url/v1/detect

  Ctrl-C stops the service; './run.sh stop' also stops PostgreSQL.
  Service log follows (also in $DETECTOR_SERVICE_LOG):

MSG

tail -n 20 -f --pid="$service_pid" "$DETECTOR_SERVICE_LOG" &
tail_pid=$!
set +e
wait "$service_pid"
rc=$?
set -e
detector_log "The service exited (code $rc)"
exit "$rc"
