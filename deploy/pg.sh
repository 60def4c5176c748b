#!/usr/bin/env bash
# The private development PostgreSQL cluster (.pgdata/, 127.0.0.1:${DETECTOR_PG_PORT:-61432}).
# Usage: deploy/pg.sh start|stop|status|psql [db]|env [db]
set -euo pipefail
# shellcheck source=deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"

cmd="${1:-status}"
case "$cmd" in
  start)
    detector_pg_start
    detector_pg_ensure_db "${2:-detector}"
    ;;
  stop) detector_pg_stop ;;
  status) detector_pg_status ;;
  psql)
    detector_pg_start
    shift
    db="${1:-detector}"; shift || true
    PGPASSWORD="$DETECTOR_PG_PASSWORD" exec "$DETECTOR_PG_BIN/psql" -h "$DETECTOR_PG_HOST" -p "$DETECTOR_PG_PORT" \
      -U "$DETECTOR_PG_ROLE" -d "$db" "$@"
    ;;
  env)
    detector_pg_start
    printf 'export Database__ConnectionString=%q\n' "$(detector_connection_string "${2:-detector}")"
    ;;
  *)
    echo "usage: $0 start|stop|status|psql [db]|env [db]" >&2
    exit 2
    ;;
esac
