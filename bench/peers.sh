#!/bin/bash
# bench/peers.sh - one small step under cairn and under the tools a
# scientist would otherwise use, side by side in one run (hyperfine):
#
#   the step (step.sh):  python3 -c 'import json'; tr a-z A-Z < in.txt > out.txt
#   (a program start with some hundred lookups, one input, one output)
#
#   sh, bash              the step alone: nothing sandboxed, traced or kept
#   bwrap                 a namespace sandbox (bubblewrap: read-only /, the
#                         step's directory writable, no network), no trace
#   strace -f             every system call traced to /dev/null, no sandbox
#   reprozip trace        ReproZip's ptrace recorder (files, programs, and
#                         the Debian packages they belong to), no sandbox
#   cairn --no-cache run  sandboxed, traced, outputs committed, recorded
#   datalad run           the step run and its output committed to a
#                         DataLad dataset (-i in.txt -o out.txt)
#   snakemake -F          a one-rule Snakefile, the rule forced to run
#   datalad rerun         DataLad's re-execution of the recorded run
#   cairn rerun --no-cache  cairn's, through the file's lineage
#   snakemake (no-op)     Snakemake finding its output up to date
#   cairn run (cached)    the step again, served from cairn's cache
#
# Prints mean ms per command and, for each peer, cairn's matching row
# divided by it (cairn/peer).  A peer not installed is a row saying so
# (`apt-get install bubblewrap strace reprozip datalad snakemake`; bench/run
# installs them).
#
#   bench/peers.sh [CAIRN]     (default: build/cairn; RUNS=N, default 10)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
runs=${RUNS:-10}
# hyperfine's random variable is part of a step's key (its environment).
nr="env -u HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

# Each tool gets a directory of its own; the step names its files by
# absolute path, so that every command runs from one working directory:
# cairn's project, which cairn finds from there.
step="$py -c 'import json'; tr a-z A-Z < DIR/in.txt > DIR/out.txt"
setup() { # NAME: $work/NAME with the input and the step
	mkdir -p "$work/$1"
	seq 1000 | sed 's/$/ abc/' >"$work/$1/in.txt"
	echo "${step//DIR/$work/$1}" >"$work/$1/step.sh"
}
have() { command -v "$1" >/dev/null 2>&1; }
args=()

setup plain
args+=(-n "sh" "sh $work/plain/step.sh")
args+=(-n "bash" "bash $work/plain/step.sh")
if have bwrap && bwrap --ro-bind / / --dev /dev true 2>/dev/null; then
	setup bw
	args+=(-n "bwrap" "bwrap --ro-bind / / --bind $work/bw $work/bw --dev /dev --proc /proc --unshare-all --die-with-parent sh $work/bw/step.sh")
fi
if have strace; then
	args+=(-n "strace -f" "strace -f -qq -o /dev/null sh $work/plain/step.sh")
fi
# ReproZip's trace (ptrace), as a user runs it: files and programs
# recorded in its trace directory, then matched to Debian packages.
if have reprozip; then
	args+=(-n "reprozip trace" "reprozip trace --overwrite -d $work/rz sh $work/plain/step.sh")
fi

if have snakemake; then
	setup sm
	cat >"$work/sm/Snakefile" <<'EOF'
rule all:
    input: "out.txt"
rule step:
    input: "in.txt"
    output: "out.txt"
    shell: "sh step.sh"
EOF
	if snakemake -d "$work/sm" -s "$work/sm/Snakefile" -c1 -q >/dev/null 2>&1; then
		args+=(-n "snakemake -F" "snakemake -d $work/sm -s $work/sm/Snakefile -c1 -q -F")
		args+=(-n "snakemake (no-op)" "snakemake -d $work/sm -s $work/sm/Snakefile -c1 -q")
	fi
fi

if have datalad && have git-annex && (
	cd "$work" && datalad create -c text2git dl >/dev/null 2>&1 && setup dl && cd dl &&
		datalad save -m seed >/dev/null 2>&1 &&
		datalad run -m step -i in.txt -o out.txt sh step.sh >/dev/null 2>&1
); then
	args+=(-n "datalad run" "datalad -C $work/dl run -m step -i in.txt -o out.txt sh step.sh")
	# rerun re-executes the recorded command (DataLad keeps no cache).
	args+=(-n "datalad rerun" "datalad -C $work/dl rerun")
fi

setup cairn
mkdir "$work/cairn/.cairn"
cd "$work/cairn"
$nr "$cairn" run step.sh </dev/null >/dev/null
args+=(-n "cairn --no-cache run" "$nr $cairn --no-cache run step.sh")
args+=(-n "cairn rerun --no-cache" "$nr $cairn -q rerun out.txt --no-cache")
args+=(-n "cairn run (cached)" "$nr $cairn run step.sh")

hyperfine -N -w 1 -r "$runs" --export-csv "$work/times.csv" "${args[@]}" </dev/null \
	>"$work/hf.out" 2>&1 || { cat "$work/hf.out" >&2; exit 1; }
[ "$("$cairn" log --json -n 1 | "$py" -c 'import json,sys; print(json.load(sys.stdin)[0]["cached"])')" = True ] ||
	echo "bench: the last cairn run was not served from the cache!" >&2

ms() { awk -F, -v n="$1" '$1 == n { printf "%.2f", $2 * 1000 }' "$work/times.csv"; }
# each peer, then the cairn row it is compared with
pairs=(
	"sh|cairn --no-cache run"
	"bash|cairn --no-cache run"
	"bwrap|cairn --no-cache run"
	"strace -f|cairn --no-cache run"
	"reprozip trace|cairn --no-cache run"
	"snakemake -F|cairn --no-cache run"
	"datalad run|cairn --no-cache run"
	"datalad rerun|cairn rerun --no-cache"
	"snakemake (no-op)|cairn run (cached)"
)
echo "step: $step"
printf '%-20s %10s   %-24s %10s %11s\n' peer "peer ms" "cairn" "cairn ms" "cairn/peer"
for p in "${pairs[@]}"; do
	peer=${p%%|*} c=${p#*|}
	cm=$(ms "$c")
	pm=$(ms "$peer")
	if [ -z "$pm" ]; then
		printf '%-20s %10s   %-24s %10s %11s\n' "$peer" "-" "$c" "$cm" "(no peer)"
	else
		printf '%-20s %10s   %-24s %10s %10.2fx\n' "$peer" "$pm" "$c" "$cm" \
			"$(awk -v a="$cm" -v b="$pm" 'BEGIN { print a / b }')"
	fi
done
