#!/usr/bin/env bash
# Run the README's test command several times while extra CPU-bound processes compete for
# the cores, as on a busy CI machine. Every run must pass: a failure here means some test
# depends on wall-clock time or on how the operating system schedules processes.
#
#   tools/under_load.sh [runs=3] [burners=2] [pytest args...]
#
# Prints one line per run and exits non-zero if any run failed. The burners are killed on
# exit, whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; burners=${2:-2}; shift $(( $# > 2 ? 2 : $# ))
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONHASHSEED=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM
for _ in $(seq "$burners"); do
    python3 -c "while True: pass" &
    pids+=($!)
done
failed=0
for k in $(seq "$runs"); do
    start=$(date +%s)
    log=$(mktemp)
    if python -m pytest -n 2 --dist loadscope -q "$@" >"$log" 2>&1; then
        status=passed
    else
        status=FAILED; failed=$((failed + 1))
    fi
    echo "run $k/$runs with $burners burners: $status in $(( $(date +%s) - start )) s: $(tail -n 1 "$log")"
    [ "$status" = passed ] || grep -E "^(FAILED|ERROR)" "$log" | head -20
    rm -f "$log"
done
echo "$((runs - failed)) of $runs runs passed under load"
exit $(( failed > 0 ))
