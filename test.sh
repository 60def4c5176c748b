#!/usr/bin/env bash
# Builds the solution once (Release) and runs every test project against the private
# PostgreSQL cluster (database detector_test). Extra arguments go to `dotnet test`,
# e.g. ./test.sh --filter Unit. The last line printed is "N passed, N failed[, N skipped]".
set -euo pipefail
# shellcheck source=deploy/dev-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy/dev-env.sh"
cd "$DETECTOR_ROOT"

results_dir="$DETECTOR_RUN_DIR/test-results"

summary() { # summary PASSED FAILED SKIPPED
  local line="$1 passed, $2 failed"
  (($3 > 0)) && line+=", $3 skipped"
  echo "$line"
}

detector_bootstrap
# In CI, a cluster this run started is stopped again at the end (locally it stays up for the next run).
pg_was_running=0
detector_pg_status >/dev/null 2>&1 && pg_was_running=1
detector_pg_start
detector_pg_ensure_db detector_test
detector_export_env detector_test
export DETECTOR_SHARED
export ImageStore__Path="${ImageStore__Path:-$DETECTOR_RUN_DIR/test-data/images}"
# The test hosts name their audit subject key (TestSecrets.AuditSubjectKey); this one is for any
# service a test starts without naming one, so it starts as run.sh's does (a key of the tests only).
export Compliance__AuditSubjectKey="${Compliance__AuditSubjectKey:-test-only-audit-subject-key-0123456789abcdef}"

rm -rf "$results_dir"
mkdir -p "$results_dir" "$ImageStore__Path"

detector_log "Building Detector.sln (Release)"
if ! dotnet build Detector.sln -c Release -nologo; then
  echo "test.sh: build failed" >&2
  summary 0 0 0
  exit 1
fi

# The typed client is a package callers install (ADR 0026): a pack that breaks fails the run here.
# Only an unfiltered run (CI's) packs: a focused --filter run tests, it does not ship.
focused=0
for arg in "$@"; do
  case "$arg" in --filter | --filter=*) focused=1 ;; esac
done
if ((focused == 0)); then
  detector_log "Packing Detector.Client"
  if ! dotnet pack Detector.Client -c Release --no-build -nologo -o "$DETECTOR_RUN_DIR/packages"; then
    echo "test.sh: dotnet pack Detector.Client failed" >&2
    summary 0 0 0
    exit 1
  fi
fi

# Test projects of the solution (one TRX file each, named after the project).
# shellcheck disable=SC1003 # tr '\\' '/' is meant: one backslash (Windows separators) becomes /
mapfile -t projects < <(dotnet sln Detector.sln list | tr '\\' '/' | grep -E '\.csproj$' |
  while read -r p; do
    [[ -f $p ]] && grep -qiE '<IsTestProject>[[:space:]]*true|Microsoft\.NET\.Test\.Sdk' "$p" && echo "$p"
  done)
((${#projects[@]})) || detector_warn "no test projects found in Detector.sln"

test_rc=0
for project in "${projects[@]}"; do
  name="$(basename "$project" .csproj)"
  detector_log "Testing $name"
  # Blame: a test host that crashes leaves a dump and the tests it was running; one that hangs
  # (no test finishing for DETECTOR_TEST_HANG_TIMEOUT, far above the slowest test's ~35 s) is
  # dumped and killed instead of holding CI until its own timeout.
  dotnet test "$project" -c Release --no-build --nologo \
    --results-directory "$results_dir" \
    --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=${DETECTOR_TEST_VERBOSITY:-normal}" \
    --blame-crash --blame-crash-dump-type mini \
    --blame-hang --blame-hang-dump-type mini --blame-hang-timeout "${DETECTOR_TEST_HANG_TIMEOUT:-5m}" \
    "$@" || test_rc=$?
done

# What blame left: the sequence of tests each host ran (the last ones were in flight when it
# died) and any dump. Printed so a crashed CI run names itself in its own log.
report_blame() {
  local f
  while IFS= read -r f; do
    case "$f" in
      *.dmp) detector_warn "crash or hang dump: $f" ;;
      *Sequence_*.xml)
        detector_warn "test host sequence (last tests started, newest last): $f"
        grep -oE 'Name="[^"]+"' "$f" | tail -n 5 | sed 's/^Name=/    /' >&2 || true
        ;;
    esac
  done < <(find "$results_dir" -type f \( -name '*.dmp' -o -name 'Sequence_*.xml' \) 2>/dev/null)
}

# The failed tests, the first lines of their messages and stacks, printed last so that a log cut to its
# tail (as CI logs often are) still names what failed.
report_failures() {
  command -v python3 >/dev/null || { detector_warn "python3 missing: see the TRX files for failures"; return 0; }
  python3 - "$@" <<'PY' >&2 || true
import sys, xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    for r in ET.parse(path).getroot().iter():
        if r.tag.endswith('UnitTestResult') and r.get('outcome') not in ('Passed', 'NotExecuted'):
            msg = next((m.text or '' for m in r.iter() if m.tag.endswith('Message')), '')
            stack = next((m.text or '' for m in r.iter() if m.tag.endswith('StackTrace')), '')
            print(f"FAILED {r.get('testName')} ({r.get('duration')})")
            for line in msg.strip().splitlines()[:6]:
                print(f"    {line[:300]}")
            # The innermost frames say where it was thrown, which the message alone often does not.
            for line in stack.strip().splitlines()[:12]:
                print(f"      {line.strip()[:300]}")
PY
}

# Sum the <Counters .../> of every TRX file.
passed=0 failed=0 skipped=0 total=0
counter() { grep -oE "[[:space:]]$1=\"[0-9]+\"" <<<"$2" | grep -oE '[0-9]+' || echo 0; }
shopt -s nullglob
trx_files=("$results_dir"/*.trx)
for trx in "${trx_files[@]}"; do
  counters="$(grep -oE '<Counters[^>]*>' "$trx" | head -n1 || true)"
  [[ -n $counters ]] || { detector_warn "no <Counters> in $trx"; test_rc=1; continue; }
  total=$((total + $(counter total "$counters")))
  passed=$((passed + $(counter passed "$counters")))
  failed=$((failed + $(counter failed "$counters") + $(counter error "$counters") + $(counter timeout "$counters") + $(counter aborted "$counters")))
  # VSTest leaves notExecuted at 0 for skipped xUnit tests; they show as total - executed.
  not_run=$(($(counter notExecuted "$counters") + $(counter inconclusive "$counters")))
  unexecuted=$(($(counter total "$counters") - $(counter executed "$counters")))
  skipped=$((skipped + (not_run > unexecuted ? not_run : unexecuted)))
done
if ((${#trx_files[@]} < ${#projects[@]})); then
  detector_warn "expected ${#projects[@]} TRX file(s) in $results_dir, found ${#trx_files[@]} (a test run crashed?)"
  ((test_rc != 0)) || test_rc=1
fi
# dotnet test failing with no failed test counted (crash, abort, bad arguments) still fails the run.
if ((test_rc != 0 && failed == 0)); then
  detector_warn "dotnet test exited with code $test_rc"
fi
((test_rc == 0)) || report_blame

if [[ ${CI:-} == true && $pg_was_running == 0 ]]; then
  detector_pg_stop >/dev/null 2>&1 || true
fi

((failed == 0)) || report_failures "${trx_files[@]}"
echo "TRX results: $results_dir"
summary "$passed" "$failed" "$skipped"
if ((failed > 0 || test_rc != 0 || passed + failed == 0)); then
  exit 1
fi
