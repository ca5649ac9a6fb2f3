#!/bin/bash
# bench/cache.sh - the cache, measured side by side in one run:
#
#   1. cache-hit latency of a step that read 1 GiB (stat memo warm), against
#      `sh -c true`; goal <= 3 ms (DESIGN.md section 9);
#   2. cold hashing of 1 GiB: cairn's hashing (bench/hash-run.c, the same
#      libcrypto code) against sha256sum and `openssl dgst -sha256`; goal
#      >= 1.2 GB/s per core;
#   3. no-op replay of a 100-step script (all cached) against an equivalent
#      Snakefile's no-op run (Debian snakemake) and `datalad rerun` of a
#      100-commit run history (Debian datalad), where installed; goal <= 150 ms;
#   4. restoring a 1 GiB output from the store, against cp.
#
#   bench/cache.sh [CAIRN]     (default: build/cairn; RUNS=N repetitions)
#
# Peers missing from the machine are skipped with a note (scripts/install-deps
# does not install them: `apt-get install snakemake datalad`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
# hyperfine puts a random variable in the environment of every run; the
# environment is part of a step's key, so cairn runs without it.
nr="env -u HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"
hashrun=$(dirname "$cairn")/hash-run
runs=${RUNS:-5}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir .cairn

ms() { awk -F, -v n="$1" '$1 == n { printf "%.2f", $2 * 1000 }' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo "== 1 GiB of inputs (4 x 256 MiB)"
mkdir big
for i in 1 2 3 4; do head -c 256M /dev/urandom >big/part$i; done
sync

# ---- 2. cold hashing ------------------------------------------------------
echo
echo "-- cold hashing, 1 GiB (page cache warm, so hashing speed is measured)"
cat big/* >/dev/null
hyperfine -N -w 1 -r "$runs" --export-csv hash.csv \
	-n "cairn (libcrypto)" "$hashrun big/part1 big/part2 big/part3 big/part4" \
	-n "sha256sum" "sha256sum big/part1 big/part2 big/part3 big/part4" \
	-n "openssl dgst -sha256" "openssl dgst -sha256 big/part1 big/part2 big/part3 big/part4" \
	>/dev/null
c=$(ms "cairn (libcrypto)" hash.csv)
printf '%-24s %9s ms  %6.2f GB/s\n' "cairn (libcrypto)" "$c" "$(awk -v t="$c" 'BEGIN{print 1.073741824/(t/1000)}')"
for n in "sha256sum" "openssl dgst -sha256"; do
	t=$(ms "$n" hash.csv)
	printf '%-24s %9s ms  %6.2f GB/s  (cairn is %s its speed)\n' "$n" "$t" \
		"$(awk -v t="$t" 'BEGIN{print 1.073741824/(t/1000)}')" "$(ratio "$t" "$c")"
done

# ---- 1. cache-hit latency ---------------------------------------------------
echo
echo "-- cache hit of a step that read 1 GiB (memo warm)"
echo 'cat big/part1 big/part2 big/part3 big/part4 | wc -c > n.txt' >hit.sh
"$cairn" run hit.sh </dev/null
"$cairn" run hit.sh </dev/null # the memo learns the files' stats once they are old enough
sleep 0.1
"$cairn" run hit.sh </dev/null
hyperfine -N -w 2 -r "$((runs * 4))" --export-csv hit.csv \
	-n "sh -c true" "$nr sh -c true" \
	-n "cairn run hit.sh (served from cache)" "$nr $cairn run hit.sh" >/dev/null
[ "$("$cairn" log --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["cached"])')" = True ] ||
	echo "bench: the step was not served from the cache!" >&2
serve=$("$cairn" show @1 --json | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["cache"]["lookup_s"]*1000))')
sh_t=$(ms "sh -c true" hit.csv)
hit_t=$(ms "cairn run hit.sh (served from cache)" hit.csv)
printf '%-40s %9s ms\n' "sh -c true (through env)" "$sh_t"
printf '%-40s %9s ms  (%s sh -c true)\n' "cairn run hit.sh, whole process" "$hit_t" "$(ratio "$hit_t" "$sh_t")"
printf '%-40s %9s ms  (goal <= 3 ms)\n' "  of which the hit: key, lookup, checking 1 GiB of reads, restoring, record (cache.lookup_s)" "$serve"

# ---- 4. restoring a 1 GiB output ----------------------------------------------
echo
echo "-- restoring a 1 GiB output from the store"
echo 'cat big/part1 big/part2 big/part3 big/part4 > out.bin' >out.sh
"$cairn" run out.sh </dev/null
hyperfine -N -w 1 -r "$runs" --export-csv restore.csv \
	--prepare "rm -f out.bin copy.bin" \
	-n "cp 1 GiB" "cp big/part1 copy.bin" \
	-n "cairn run out.sh (restores out.bin)" "$nr $cairn run out.sh" >/dev/null
# (cp of one part x4 stands for a 1 GiB copy)
cp_t=$(awk -v t="$(ms "cp 1 GiB" restore.csv)" 'BEGIN{printf "%.2f", t*4}')
r_t=$(ms "cairn run out.sh (restores out.bin)" restore.csv)
cmp -s out.bin <(cat big/part1 big/part2 big/part3 big/part4) || echo "bench: restored output differs!" >&2
printf '%-40s %9s ms\n' "cp 1 GiB (4 x cp 256 MiB)" "$cp_t"
printf '%-40s %9s ms  (%s cp)\n' "cairn: hit restoring out.bin" "$r_t" "$(ratio "$r_t" "$cp_t")"
rm -f out.bin copy.bin big/*
rm -rf .cairn/cas

# ---- 3. no-op replay of 100 steps -------------------------------------------
echo
echo "-- no-op replay of a 100-step script (everything cached)"
mkdir -p r100 && cd r100
mkdir .cairn
echo seed >in0.txt
for i in $(seq 1 100); do echo "tr a-z A-Z < in$((i - 1)).txt > in$i.txt"; done >s100.sh
"$cairn" run s100.sh </dev/null
"$cairn" run s100.sh </dev/null
names=(-n "cairn run s100.sh (all cached)" "$nr $cairn run s100.sh")
if command -v snakemake >/dev/null; then
	{
		echo 'rule all:'
		echo '    input: "sm100.txt"'
		for i in $(seq 1 100); do
			echo "rule s$i:"
			echo "    input: \"$([ "$i" = 1 ] && echo in0.txt || echo sm$((i - 1)).txt)\""
			echo "    output: \"sm$i.txt\""
			echo "    shell: \"tr a-z A-Z < {input} > {output}\""
		done
	} >Snakefile
	snakemake -c1 -q >/dev/null 2>&1
	names+=(-n "snakemake no-op (100 rules)" "snakemake -c1 -q")
else
	echo "(snakemake not installed: skipped)"
fi
if command -v datalad >/dev/null && command -v git-annex >/dev/null && (
	rm -rf ../dl && mkdir ../dl && cd ../dl &&
		datalad create --force . >/dev/null 2>&1 &&
		echo seed >in0.txt && datalad save -m seed >/dev/null 2>&1 &&
		for i in $(seq 1 100); do
			datalad run -m "s$i" "tr a-z A-Z < in$((i - 1)).txt > in$i.txt" >/dev/null 2>&1 || exit 1
		done
); then
	# rerun re-executes each recorded command (DataLad has no cache).
	names+=(-n "datalad rerun (100 recorded runs)" "datalad -C ../dl rerun --since= ")
else
	echo "(datalad not installed or not working: skipped)"
fi
hyperfine -N -w 1 -r "$runs" -i --export-csv replay.csv "${names[@]}" >/dev/null
c=$(ms "cairn run s100.sh (all cached)" replay.csv)
printf '%-40s %9s ms  (goal <= 150 ms)\n' "cairn run s100.sh (all cached)" "$c"
for n in "snakemake no-op (100 rules)" "datalad rerun (100 recorded runs)"; do
	t=$(ms "$n" replay.csv)
	[ -n "$t" ] && printf '%-40s %9s ms  (cairn takes %s of it)\n' "$n" "$t" "$(ratio "$c" "$t")"
done
exit 0
