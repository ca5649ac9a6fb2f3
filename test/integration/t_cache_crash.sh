# ctest-labels: slow
# A cairn killed (SIGKILL) at random moments while it runs and serves a
# 200-step script from the cache: afterwards `cairn fsck` is clean and
# every output in the project matches its newest record.
. "$TEST_SRC/test/integration/lib.sh"

seed=${CAIRN_CRASH_SEED:-$RANDOM}
echo "t_cache_crash: seed $seed" >&2
RANDOM=$seed

# A cache hit restores outputs through the same commit protocol: cairn
# killed at each of its points leaves the restored files old or new, and
# after the next cairn's recovery the hit is recorded with every output
# in place, or not recorded with none.
phase "a cache hit killed at each point of its commit"
# The variable that names the point is not part of the step's key.
git config --file .cairn/config --add cache.ignoreEnv CAIRN_TEST_CRASH_AT
printf in >hin.txt
printf old >h1.txt
printf old >h2.txt
"$CAIRN" -c 'tr a-z A-Z < hin.txt > h1.txt; cp h1.txt h2.txt # hit-step' >/dev/null 2>&1 </dev/null
nsteps() { "$CAIRN" log --json -n 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
for pt in synced journal record applied committed stored; do
	printf old >h1.txt
	printf old >h2.txt
	n0=$(nsteps)
	CAIRN_TEST_CRASH_AT=$pt "$CAIRN" -c 'tr a-z A-Z < hin.txt > h1.txt; cp h1.txt h2.txt # hit-step' >/dev/null 2>&1 </dev/null
	rc=$?
	[ "$pt" = stored ] || expect_eq "hit killed at $pt: cairn died there" 137 $rc
	for f in h1.txt h2.txt; do
		case $(cat $f) in old | IN) ;; *) fail "hit killed at $pt: $f is torn: $(cat $f)" ;; esac
	done
	"$CAIRN" -c 'true' >/dev/null 2>&1 </dev/null
	now="$(cat h1.txt) $(cat h2.txt)"
	case $pt in
	synced | journal)
		expect_eq "hit killed at $pt: nothing restored" "old old" "$now"
		expect_eq "hit killed at $pt: not recorded" $((n0 + 1)) "$(nsteps)"
		;;
	*)
		expect_eq "hit killed at $pt: all restored" "IN IN" "$now"
		expect_eq "hit killed at $pt: recorded" $((n0 + 2)) "$(nsteps)"
		expect_eq "hit killed at $pt: recorded as a hit" True "$(rec @2 'r["cached"]')"
		;;
	esac
	run_cairn fsck
	expect_eq "hit killed at $pt: fsck clean" 0 "$RC"
	[ "$RC" -eq 0 ] || echo "$OUT" >&2
done
"$CAIRN" -c 'rm -f hin.txt h1.txt h2.txt' >/dev/null 2>&1 </dev/null
git config --file .cairn/config --unset cache.ignoreEnv

mkdir in
for i in $(seq 0 9); do seq $((i * 10)) $((i * 10 + 30)) >in/$i.txt; done
{
	for i in $(seq 1 200); do
		case $((i % 4)) in
		0) echo "sort -r in/$((i % 10)).txt > out/$((i % 25)).txt" ;;
		1) echo "cat in/$((i % 10)).txt in/$(((i + 3) % 10)).txt | wc -l > out/$((i % 25)).txt" ;;
		2) echo "echo step $i; tr 0-9 a-j < in/$((i % 10)).txt > out/$((i % 25)).txt" ;;
		3) echo "x=\$((x + $i)); echo \$x > out/sum$((i % 7)).txt" ;;
		esac
	done
} >s.sh
mkdir out

kills=0
for round in $(seq 1 12); do
	phase "kill round $round of 12 ($kills killed so far)"
	# Change an input now and then, so that runs mix hits and misses.
	if [ $((round % 3)) -eq 0 ]; then
		echo "$round" >>"in/$((RANDOM % 10)).txt"
	fi
	"$CAIRN" run s.sh >/dev/null 2>&1 </dev/null &
	pid=$!
	# 20 ms to 1.5 s: before, during and after the first steps.
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.02 + (r % 1480) / 1000 }')"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
done
[ "$kills" -gt 0 ] || fail "no run was killed (the machine is too fast for the test)"

phase "full runs after the kills"
# The next cairn finishes what was left; then a whole run, twice.
"$CAIRN" run s.sh >run1.out 2>run1.err </dev/null
rc=$?
expect_eq "full run after the kills" 0 $rc
[ $rc -eq 0 ] || cat run1.err >&2
"$CAIRN" run s.sh >run2.out 2>run2.err </dev/null
expect_eq "second full run" 0 $?
cmp -s run1.out run2.out || fail "second run printed differently"
cached=$("$CAIRN" log --json -n 200 | python3 -c 'import json,sys; print(sum(s["cached"] for s in json.load(sys.stdin)))')
expect_eq "second full run all cached" 200 "$cached"

phase "three concurrent sessions"
# Three sessions at once on the same store and script: none fails, none
# loses a record, and the store stays consistent.
echo concurrent >>in/3.txt
steps0=$("$CAIRN" log --json -n 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$CAIRN" run s.sh >c1.out 2>c1.err </dev/null &
p1=$!
"$CAIRN" run s.sh >c2.out 2>c2.err </dev/null &
p2=$!
"$CAIRN" run s.sh >c3.out 2>c3.err </dev/null &
p3=$!
wait $p1; r1=$?
wait $p2; r2=$?
wait $p3; r3=$?
expect_eq "concurrent sessions" "0 0 0" "$r1 $r2 $r3"
[ "$r1$r2$r3" = 000 ] || cat c1.err c2.err c3.err >&2
cmp -s c1.out c2.out && cmp -s c1.out c3.out || fail "concurrent sessions printed differently"
steps1=$("$CAIRN" log --json -n 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "every step of the three sessions recorded" 600 "$((steps1 - steps0))"

phase "fsck, status and a clean run to compare"
run_cairn fsck
expect_eq "fsck clean after the kills" 0 "$RC"
[ "$RC" -eq 0 ] || echo "$OUT" >&2

# Every output matches its newest record.
run_cairn status --json
echo "$OUT" | python3 -c '
import json, sys
bad = [e for e in json.load(sys.stdin) if e["path"].startswith("out/") and e["state"] != "fresh"]
for e in bad:
    print("not fresh:", e["path"], e["state"])
sys.exit(1 if bad else 0)' >&2 || fail "outputs do not match their records"
# The outputs of the last full run are those of a run without kills.
mkdir ../clean.$$ && cp -r in s.sh ../clean.$$/ && (
	cd ../clean.$$ && mkdir .cairn out && "$CAIRN" run s.sh >/dev/null 2>&1 </dev/null
) || fail "clean run"
diff -r out ../clean.$$/out >&2 || fail "outputs differ from a clean run"
rm -rf ../clean.$$
git --git-dir .cairn/lineage.git fsck --strict >/dev/null 2>&1 || fail "git fsck"
# A ref's lock file a dead writer left (a crash or a power loss while it
# updated the ref) does not block the store: every ref is written under
# the store's own lock, so such a file is stale (seen in t_power_loss).
phase "a stale ref lock"
mkdir -p stale && cd stale || exit 1
run_cairn init
run_cairn -c 'echo a > a.txt'
touch .cairn/lineage.git/refs/cairn/latest.lock .cairn/lineage.git/refs/cairn/index.lock ||
	fail "stale ref lock: the refs are not where the test expects them"
run_cairn -c 'echo b > b.txt'
expect_eq "stale ref lock: the step recorded" "0 echo b > b.txt" "$RC $("$CAIRN" log --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["command"])')"
run_cairn fsck
expect_eq "stale ref lock: fsck clean" 0 "$RC"
cd ..

done_testing
