#!/bin/bash
# bench/steps.sh - what a step costs: cairn against bash, measured side by
# side in one run (hyperfine), printed as ratios and per-step overhead.
#
#   bench/steps.sh [CAIRN]        (default: build/cairn)
#
# Goal (issue 2, no sandbox yet): under 1 ms per step above bash's own
# fork and exec of a shell per command.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A 100-command script: assignments, arithmetic, a function, a pipeline.
{
	echo 'total=0'
	echo 'add() { total=$((total + $1)); }'
	for i in $(seq 1 97); do
		case $((i % 3)) in
		0) echo "add $i" ;;
		1) echo "v$i=\$((total * 2))" ;;
		2) echo "echo \"line $i \$total\" | tr a-z A-Z >/dev/null" ;;
		esac
	done
	echo 'echo "total=$total"'
} > s100.sh
# The same 100 commands as separate shells: bash's own fork+exec per step.
{
	echo 'for i in $(seq 100); do bash -c true; done'
} > forks100.sh

hyperfine -N -w 2 -r "${RUNS:-10}" --export-csv times.csv \
	-n "bash -c true" "bash -c true" \
	-n "cairn -c true" "$cairn -c true" \
	-n "bash s100.sh" "bash s100.sh" \
	-n "100 x bash -c true" "bash forks100.sh" \
	-n "cairn run s100.sh" "$cairn run s100.sh" >/dev/null

mean() { awk -F, -v n="$1" '$1 == n { print $2 * 1000 }' times.csv; }
b1=$(mean "bash -c true")
c1=$(mean "cairn -c true")
b100=$(mean "bash s100.sh")
f100=$(mean "100 x bash -c true")
c100=$(mean "cairn run s100.sh")

printf '%-28s %10s\n' "what" "mean ms"
for n in "bash -c true" "cairn -c true" "bash s100.sh" "100 x bash -c true" "cairn run s100.sh"; do
	printf '%-28s %10.2f\n' "$n" "$(mean "$n")"
done
echo
awk -v b1="$b1" -v c1="$c1" -v b100="$b100" -v f100="$f100" -v c100="$c100" 'BEGIN {
	printf "cairn -c true / bash -c true           %6.2fx\n", c1 / b1
	printf "cairn run / bash (100 commands)        %6.1fx\n", c100 / b100
	printf "cairn run / 100 separate bash -c       %6.2fx\n", c100 / f100
	printf "per-step cost, cairn                   %6.2f ms\n", c100 / 100
	printf "per-step overhead above bash fork+exec %6.2f ms (goal < 1 ms)\n", (c100 - f100) / 100
}'
