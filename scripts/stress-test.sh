#!/usr/bin/env bash
# Runs `npm test` several times while every core is kept busy, to prove the suite holds on a slow, loaded
# machine (no test may depend on speed or on a race).
#
#   scripts/stress-test.sh [runs]     runs defaults to 5
#
# One CPU burner (`yes > /dev/null`) per core runs for the whole session and is stopped on exit, whatever
# the outcome. Each run's output goes to a log file (kept only when a run failed); the script prints
# pass/fail per run and a final line, and exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/stress-test.sh [runs]   (runs is a positive integer, default 5)" >&2
  exit 2
fi

cores="$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
logs="$(mktemp -d "${TMPDIR:-/tmp}/stress-test-logs.XXXXXX")"
burners=()

stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${burners[@]}"; do wait "$pid" 2>/dev/null; done
  burners=()
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$cores"); do
  yes > /dev/null &
  burners+=("$!")
done
echo "stress test: $runs run(s) of npm test with $cores CPU burner(s); logs in $logs"

failed=0
for run in $(seq "$runs"); do
  log="$logs/run-$run.log"
  start=$SECONDS
  if npm test > "$log" 2>&1; then
    outcome="PASS"
  else
    outcome="FAIL"
    failed=$((failed + 1))
  fi
  tally="$(grep -E '^ +Tests +[0-9]' "$log" | tail -1 | sed -E 's/^ +//')"
  echo "run $run/$runs: $outcome in $((SECONDS - start)) s${tally:+ ($tally)}"
  if [ "$outcome" = "FAIL" ]; then
    grep -E '^ (FAIL|×)|✗|AssertionError' "$log" | head -10 | sed 's/^/    /'
    echo "    full log: $log"
  fi
done

stop_burners
if [ "$failed" -eq 0 ]; then
  rm -rf "$logs"
  echo "stress test: all $runs run(s) passed under load ($cores burner(s))"
  exit 0
fi
echo "stress test: $failed of $runs run(s) FAILED under load ($cores burner(s))"
exit 1
