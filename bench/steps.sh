#!/bin/bash
# bench/steps.sh - what a step costs: cairn against sh and bash, measured
# side by side in one run (hyperfine), printed as ratios and per-step cost.
#
#   bench/steps.sh [CAIRN]        (default: build/cairn)
#
# Goals (DESIGN.md section 9): a trivial step, recorded + sandboxed +
# traced, <= 2.5x `sh -c true`; a lookup-heavy step (`python3 -c pass`)
# <= 1.25x bare.  Both measured per step inside a 100-step script, so that
# cairn's own start-up (store, first baseline) is spread out; the one-step
# runs (`cairn -c ...`) show the whole fixed cost.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir .cairn

# The system's python3 (a version manager's shim on PATH is a script).
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
seq 100 | sed 's/.*/true/' > true100.sh
seq 100 | sed "s|.*|$py -c pass|" > py100.sh
echo 'for i in $(seq 100); do sh -c true; done' > sh100.sh
echo "for i in \$(seq 100); do $py -c pass; done" > pybare100.sh

hyperfine -N -w 2 -r "${RUNS:-5}" --export-csv times.csv \
	-n "sh -c true" "sh -c true" \
	-n "cairn -c true" "$cairn --no-cache -c true" \
	-n "cairn --no-sandbox -c true" "$cairn --no-sandbox --no-cache -c true" \
	-n "100 x sh -c true" "bash sh100.sh" \
	-n "cairn run true100.sh" "$cairn --no-cache run true100.sh" \
	-n "cairn --no-sandbox run true100.sh" "$cairn --no-sandbox --no-cache run true100.sh" \
	-n "100 x python3 -c pass" "bash pybare100.sh" \
	-n "cairn run py100.sh" "$cairn --no-cache run py100.sh" >/dev/null

mean() { awk -F, -v n="$1" '$1 == n { print $2 * 1000 }' times.csv; }
printf '%-36s %10s\n' "what" "mean ms"
for n in "sh -c true" "cairn -c true" "cairn --no-sandbox -c true" "100 x sh -c true" \
	"cairn run true100.sh" "cairn --no-sandbox run true100.sh" "100 x python3 -c pass" \
	"cairn run py100.sh"; do
	printf '%-36s %10.2f\n' "$n" "$(mean "$n")"
done
echo
awk -v s1="$(mean "sh -c true")" -v c1="$(mean "cairn -c true")" \
	-v s100="$(mean "100 x sh -c true")" -v c100="$(mean "cairn run true100.sh")" \
	-v n100="$(mean "cairn --no-sandbox run true100.sh")" \
	-v p100="$(mean "100 x python3 -c pass")" -v cp100="$(mean "cairn run py100.sh")" 'BEGIN {
	printf "one step:  cairn -c true / sh -c true          %6.2fx\n", c1 / s1
	printf "per step:  trivial, sandboxed+traced+recorded  %6.2f ms = %.2fx sh -c true (goal <= 2.5x)\n", c100 / 100, (c100 / 100) / (s100 / 100)
	printf "per step:  the same unsandboxed (recorded)     %6.2f ms\n", n100 / 100
	printf "per step:  sandbox + trace cost                %6.2f ms\n", (c100 - n100) / 100
	printf "per step:  python3 -c pass in cairn / bare     %6.2fx (goal <= 1.25x)\n", cp100 / p100
}'
