#!/bin/bash
# bench/replay.sh - replay scheduling, measured side by side in one run:
#
#   1. parallel replay of 8 independent one-second steps (`--jobs 2`, the
#      steps run ahead of their turn) against a serial replay (`--jobs 1`),
#      both with --no-cache so that every step runs; for scale, the same 8
#      commands under `xargs -P 2` and under plain bash; goal close to 2x;
#   2. scheduling overhead per step on a 1000-step replay: an all-cached
#      replay of a 1000-step session with `--jobs 1` and `--jobs 2`
#      against `cairn run` of the same script (also all cached), per step;
#      and the same uncached (every step runs) with --jobs 1 and 2 on
#      STEPS_RUN steps (default 200), against `sh -c true` per step;
#   3. `cairn rerun --jobs 2` of a lineage with two independent one-second
#      branches and a merge, one input swapped, against `--jobs 1`.
#
#   bench/replay.sh [CAIRN]     (default: build/cairn; RUNS=N repetitions)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
runs=${RUNS:-3}
nsteps=${STEPS:-1000}
nrun=${STEPS_RUN:-200}
nr="env -u HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir .cairn

ms() { awk -F, -v n="$1" '$1 == n { printf "%.2f", $2 * 1000 }' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
# Record under hyperfine too: the replays run there, and a replay foresees
# states from recorded ones only in the same environment.
record() { hyperfine -N -r 1 "$nr $cairn run $1" >/dev/null 2>&1; }
session() { "$cairn" show @1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])'; }

echo "cores: $(nproc)"

# ---- 1. 8 independent one-second steps ------------------------------------
echo
echo "-- 8 independent one-second steps"
: >eight.sh
for i in 1 2 3 4 5 6 7 8; do
	echo "sleep 1; echo $i > out$i.txt" >>eight.sh
done
record eight.sh
s8=$(session)
for i in 1 2 3 4 5 6 7 8; do echo "sleep 1; echo $i > out$i.txt"; done >cmds.txt
echo "xargs -P 2 -d '\n' -I{} bash -c '{}' <cmds.txt" >xargs.sh
hyperfine -N -r "$runs" --export-csv eight.csv \
	-n "cairn replay --jobs 1" "$nr $cairn -q replay --no-cache --jobs 1 $s8" \
	-n "cairn replay --jobs 2" "$nr $cairn -q replay --no-cache --jobs 2 $s8" \
	-n "bash (serial)" "bash eight.sh" \
	-n "xargs -P 2" "bash xargs.sh" >/dev/null
serial=$(ms "cairn replay --jobs 1" eight.csv)
par=$(ms "cairn replay --jobs 2" eight.csv)
printf '%-26s %9s ms\n' "cairn replay --jobs 1" "$serial"
printf '%-26s %9s ms  (speed-up %s over --jobs 1; goal close to 2x)\n' "cairn replay --jobs 2" \
	"$par" "$(ratio "$serial" "$par")"
for n in "bash (serial)" "xargs -P 2"; do
	t=$(ms "$n" eight.csv)
	[ -n "$t" ] && printf '%-26s %9s ms  (cairn --jobs 2 takes %s its time)\n' "$n" "$t" "$(ratio "$par" "$t")"
done

# ---- 2. scheduling overhead on a 1000-step replay -------------------------
echo
echo "-- $nsteps-step script, all cached: per step"
for i in $(seq 1 "$nsteps"); do echo "echo $i > s$i.txt"; done >many.sh
record many.sh
sm=$(session)
hyperfine -N -w 1 -r "$runs" --export-csv many.csv \
	-n "cairn run" "$nr $cairn run many.sh" \
	-n "cairn replay --jobs 1" "$nr $cairn -q replay --jobs 1 $sm" \
	-n "cairn replay --jobs 2" "$nr $cairn -q replay --jobs 2 $sm" >/dev/null
base=$(ms "cairn run" many.csv)
for n in "cairn run" "cairn replay --jobs 1" "cairn replay --jobs 2"; do
	t=$(ms "$n" many.csv)
	printf '%-26s %9s ms  %6.3f ms/step  (%s cairn run)\n' "$n" "$t" \
		"$(awk -v t="$t" -v n="$nsteps" 'BEGIN{print t/n}')" "$(ratio "$t" "$base")"
done

echo
echo "-- $nrun-step script, nothing cached (every step runs): per step"
for i in $(seq 1 "$nrun"); do echo "echo $i > r$i.txt"; done >runs.sh
record runs.sh
sr=$(session)
for i in $(seq 1 "$nrun"); do echo "sh -c true"; done >sh.sh
hyperfine -N -r "$runs" --export-csv runs.csv \
	-n "sh -c true" "bash sh.sh" \
	-n "cairn replay --jobs 1" "$nr $cairn -q replay --no-cache --jobs 1 $sr" \
	-n "cairn replay --jobs 2" "$nr $cairn -q replay --no-cache --jobs 2 $sr" >/dev/null
shc=$(ms "sh -c true" runs.csv)
for n in "sh -c true" "cairn replay --jobs 1" "cairn replay --jobs 2"; do
	t=$(ms "$n" runs.csv)
	printf '%-26s %9s ms  %6.3f ms/step  (%s sh -c true)\n' "$n" "$t" \
		"$(awk -v t="$t" -v n="$nrun" 'BEGIN{print t/n}')" "$(ratio "$t" "$shc")"
done

# ---- 3. rerun of a lineage with two independent branches ------------------
echo
echo "-- rerun of a lineage: two one-second branches and a merge, an input swapped"
mkdir -p rr && cd rr && mkdir .cairn
printf '3\n1\n' >a.csv
printf '4\n2\n' >b.csv
printf '9\n8\n' >a2.csv
cat >p.sh <<'P'
sleep 1; sort a.csv > sa.txt
sleep 1; sort b.csv > sb.txt
cat sa.txt sb.txt > both.txt
P
record p.sh
hyperfine -N -r "$runs" --export-csv ../rerun.csv \
	-n "cairn rerun --jobs 1" "$nr $cairn -q rerun both.txt --with a.csv=a2.csv --no-cache --jobs 1" \
	-n "cairn rerun --jobs 2" "$nr $cairn -q rerun both.txt --with a.csv=a2.csv --no-cache --jobs 2" \
	--prepare "$nr $cairn -q run p.sh" >/dev/null
cd ..
rs=$(ms "cairn rerun --jobs 1" rerun.csv)
rp=$(ms "cairn rerun --jobs 2" rerun.csv)
printf '%-26s %9s ms\n' "cairn rerun --jobs 1" "$rs"
printf '%-26s %9s ms  (speed-up %s over --jobs 1; goal close to 2x)\n' \
	"cairn rerun --jobs 2" "$rp" "$(ratio "$rs" "$rp")"
