#!/bin/bash
# bench/trace.sh - what the seccomp recorder costs: lookup-heavy commands
# run bare and under the tracer, side by side in one run (hyperfine),
# printed as ratios and cost per intercepted call.
#
#   bench/trace.sh [BUILD_DIR]        (default: build)
#
# Both sides go through bench/trace-run.c (fork, exec, wait), so that the
# only difference is the filter and the tracer.  Goal (DESIGN.md §9):
# python3 -c pass <= 1.25x bare.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
run=$(realpath "${1:-$top/build}")/trace-run
py=${PYTHON:-/usr/bin/python3}
[ -x "$run" ] || { echo "bench: build trace-run first (cmake --build build)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A lookup-heavy walk: getdents plus one lstat per entry.
walk=(find /usr/share/doc -maxdepth 2 -name '*.nothing')

# The same imports with a second thread running: its opens are done by
# the recorder (docs/sandbox.md, "A path changed while it is looked up").
cat >"$work/threads.py" <<'PY'
import threading
threading.Thread(target=threading.Event().wait, args=(0.5,), daemon=True).start()
import json, email.parser, http.client, xml.dom.minidom, argparse, decimal
PY

names=("$py -c pass" "find /usr/share/doc" "python3 imports 2 threads")
cmds=("$py -c pass" "${walk[*]}" "$py $work/threads.py")
args=()
for i in "${!names[@]}"; do
	args+=(-n "bare ${names[$i]}" "$run --bare ${cmds[$i]}")
	args+=(-n "traced ${names[$i]}" "$run ${cmds[$i]}")
done
hyperfine -N -w 3 -r "${RUNS:-30}" --export-csv "$work/times.csv" "${args[@]}" >/dev/null

mean() { awk -F, -v n="$1" '$1 == n { print $2 * 1000 }' "$work/times.csv"; }
calls() { "$run" --stats "$@" 2>&1 >/dev/null | sed -n 's/^trace-run: \([0-9]*\) notifications.*/\1/p'; }

printf '%-28s %10s %10s %8s %14s\n' "what" "bare ms" "traced ms" "ratio" "calls / us per"
for i in "${!names[@]}"; do
	b=$(mean "bare ${names[$i]}")
	t=$(mean "traced ${names[$i]}")
	# shellcheck disable=SC2086
	n=$(calls ${cmds[$i]})
	awk -v w="${names[$i]}" -v b="$b" -v t="$t" -v n="$n" 'BEGIN {
		printf "%-28s %10.2f %10.2f %7.2fx %6d / %5.1f\n", w, b, t, t / b, n, (t - b) * 1000 / n }'
done
echo "goal: python3 -c pass <= 1.25x bare"
