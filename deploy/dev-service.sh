# shellcheck shell=bash
# Functions for running the service locally (run.sh): its pid file, stop, readiness and the
# development tenant. Sourced after deploy/dev-env.sh; defines functions only.

DETECTOR_SERVICE_PID_FILE="$DETECTOR_RUN_DIR/service.pid"
DETECTOR_SERVICE_LOG="$DETECTOR_RUN_DIR/service.log"

# Prints the pid of a service started by an earlier ./run.sh that is still alive.
detector_service_pid() {
  local pid
  [[ -s $DETECTOR_SERVICE_PID_FILE ]] || return 1
  pid="$(<"$DETECTOR_SERVICE_PID_FILE")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'Detector.Web'; then
    echo "$pid"
  else
    return 1
  fi
}

# SIGTERM (graceful: Hangfire hands running jobs back, leases are released), SIGKILL after 30 s.
detector_service_stop() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  detector_warn "service (pid $pid) did not stop in 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# The first of ASPNETCORE_URLS, with wildcard hosts turned into loopback (for our own requests).
detector_base_url() {
  local url="${ASPNETCORE_URLS%%;*}"
  url="$(sed -E 's#://(\+|\*|0\.0\.0\.0|\[::\])(:|/|$)#://127.0.0.1\2#' <<<"$url")"
  echo "${url%/}"
}

detector_curl() {
  local opts=(-sS --max-time 10)
  [[ $(detector_base_url) == https://* ]] && opts+=(-k)
  curl "${opts[@]}" "$@"
}

# Waits until /health/ready answers 200 (migrations and model loading run at start-up).
detector_wait_ready() {
  local pid="$1" deadline=$((SECONDS + ${DETECTOR_READY_TIMEOUT:-120}))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$DETECTOR_SERVICE_LOG" >&2 || true
      detector_die "the service exited during start-up (full log: $DETECTOR_SERVICE_LOG)"
    fi
    [[ $(detector_curl -o /dev/null -w '%{http_code}' "$(detector_base_url)/health/ready" 2>/dev/null || true) == 200 ]] && return 0
    if ((SECONDS >= deadline)); then
      tail -n 40 "$DETECTOR_SERVICE_LOG" >&2 || true
      detector_die "$(detector_base_url)/health/ready did not answer 200 within ${DETECTOR_READY_TIMEOUT:-120} s (full log: $DETECTOR_SERVICE_LOG)"
    fi
    sleep 1
  done
}

_detector_json_field() { # _detector_json_field NAME <json  (jq when available, else a plain regex)
  if command -v jq >/dev/null 2>&1; then jq -er --arg f "$1" '.[$f] // empty | tostring'
  else sed -nE "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\".*/\1/p" | head -n1
  fi
}

# Prints a development tenant's API key: the stored one while the API accepts it, else a new tenant's.
detector_dev_key() {
  local file="$DETECTOR_RUN_DIR/dev-api-key" key="" body code name
  if [[ -s $file ]]; then
    key="$(<"$file")"
    code="$(detector_curl -o /dev/null -w '%{http_code}' -H "X-Api-Key: $key" "$(detector_base_url)/v1/results" || true)"
    [[ $code == 200 ]] && { echo "$key"; return 0; }
    detector_log "Stored development API key was rejected (HTTP $code); creating a new tenant"
  fi
  for name in dev "dev-$(date +%Y%m%d%H%M%S)"; do
    body="$(detector_curl -w '\n%{http_code}' -X POST "$(detector_base_url)/v1/admin/tenants" \
      -H "X-Api-Key: ${Tenancy__AdminApiKey:?}" -H 'Content-Type: application/json' -d "{\"name\":\"$name\"}" || true)"
    code="${body##*$'\n'}"
    body="${body%$'\n'*}"
    if [[ $code == 200 || $code == 201 ]] && key="$(_detector_json_field api_key <<<"${body}")" && [[ -n $key ]]; then
      (umask 077; printf '%s' "$key" >"$file")
      detector_log "Created development tenant '$name'"
      echo "$key"
      return 0
    fi
    # 409: a tenant named "dev" exists (its key is lost); try a fresh name once.
    [[ $code == 409 ]] || break
  done
  detector_warn "could not create a development tenant (HTTP $code): $body"
}
