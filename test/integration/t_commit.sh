#!/bin/bash
# Outputs reach the project only when a step succeeds, all at once as far
# as a crash can tell; a killed cairn's half-done commit is finished by
# the next one.
. "$TEST_SRC/test/integration/lib.sh"

echo old > f.txt
mkdir -p keep/sub && echo k > keep/sub/k.txt && echo gone > keep/gone.txt
ln -s f.txt oldlink

# A failed step changes nothing.
run_cairn -c 'echo new > f.txt; echo born > born.txt; rm keep/gone.txt; false'
expect_eq "failed step: status" 1 "$RC"
expect_eq "failed step: file unchanged" old "$(cat f.txt)"
[ -e born.txt ] && fail "failed step: a new file appeared"
[ -e keep/gone.txt ] || fail "failed step: a deletion was applied"
expect_eq "failed step: recorded, not committed" "(False, 1)" \
	"$(rec @1 'r["committed"], r["exit_status"]')"
expect_eq "failed step: its writes are still listed" "['born.txt', 'f.txt', 'keep/gone.txt']" \
	"$(rec @1 'sorted(writes())')"

# --keep-failed stages them for inspection.
run_cairn --keep-failed -c 'echo new > f.txt; exit 3'
expect_eq "keep-failed: status" 3 "$RC"
id=$(rec @1 'r["id"]')
expect_eq "keep-failed: staged" new "$(cat ".cairn/failed/$id/f.txt" 2>/dev/null)"
expect_eq "keep-failed: project untouched" old "$(cat f.txt)"
expect_match "keep-failed: says where" "\.cairn/failed/$id" "$ERR"

# A successful step: every kind of change, committed.
chmod 644 f.txt
run_cairn -c 'echo new > f.txt && mv keep/sub moved && rm keep/gone.txt && ln -sf f.txt newlink && chmod 600 f.txt && mkdir -p d/e && echo deep > d/e/x && rm oldlink'
expect_eq "commit: status" 0 "$RC"
expect_eq "commit: modified" new "$(cat f.txt)"
expect_eq "commit: mode" 600 "$(stat -c %a f.txt)"
expect_eq "commit: renamed dir" k "$(cat moved/k.txt 2>/dev/null)"
[ -e keep/sub ] && fail "commit: renamed dir still at its old place"
[ -e keep/gone.txt ] && fail "commit: deleted file still there"
expect_eq "commit: symlink" f.txt "$(readlink newlink)"
[ -L oldlink ] && fail "commit: deleted symlink still there"
expect_eq "commit: new tree" deep "$(cat d/e/x)"
expect_eq "commit: record kinds" \
	"[('d', 'dir'), ('d/e', 'dir'), ('d/e/x', 'file'), ('f.txt', 'file'), ('keep/gone.txt', 'deleted'), ('keep/sub', 'deleted'), ('moved', 'dir'), ('moved/k.txt', 'file'), ('newlink', 'symlink'), ('oldlink', 'deleted')]" \
	"$(rec @1 'sorted((p, w["kind"]) for p, w in writes().items())')"
expect_eq "commit: hash of the new content" "$(sha256sum < f.txt | cut -c1-64)" \
	"$(rec @1 'writes()["f.txt"]["sha256"]')"
expect_eq "commit: symlink target recorded" f.txt "$(rec @1 'writes()["newlink"]["target"]')"
expect_eq "commit: mode recorded" 0600 "$(rec @1 'writes()["f.txt"]["mode"]')"

# A directory replaced whole (an opaque directory in the overlay).
mkdir -p op && echo a > op/a && echo b > op/b
run_cairn -c 'rm -rf op && mkdir op && echo c > op/c'
expect_eq "opaque dir: contents" "c" "$(ls op | tr '\n' ' ' | sed 's/ $//')"

# Crash in the middle of a commit: cairn dies after one of the renames
# (as kill -9 would); every file is old or new, and the next cairn
# finishes the commit and records the step.
printf 1 > c1; printf 1 > c2; printf 1 > c3
nsteps=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
CAIRN_TEST_CRASH_COMMIT=1 "$CAIRN" -c 'printf 2 > c1; printf 2 > c2; printf 2 > c3' >/dev/null 2>&1
expect_eq "crash: cairn died" 137 "$?"
for f in c1 c2 c3; do
	case $(cat $f) in 1 | 2) ;; *) fail "crash: $f is neither old nor new: $(cat $f)" ;; esac
done
expect_eq "crash: half done" "2 1 1" "$(cat c1) $(cat c2) $(cat c3)"
ls .cairn/journal/*.journal >/dev/null 2>&1 || fail "crash: no journal left to finish"
run_cairn -c 'cat c1 c2 c3'
expect_eq "recovery: the commit was finished first" "222" "$OUT"
expect_match "recovery: said so" "finished the commit of an interrupted step" "$ERR"
ls .cairn/journal/*.journal >/dev/null 2>&1 && fail "recovery: journal left behind"
expect_eq "recovery: the interrupted step was recorded" $((nsteps + 2)) \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
expect_eq "recovery: its record names what is on disk" "$(sha256sum < c2 | cut -c1-64)" \
	"$(rec @2 'writes()["c2"]["sha256"]')"

# Crash right after the journal, before any rename.
CAIRN_TEST_CRASH_COMMIT=0 "$CAIRN" -c 'printf 3 > c1' >/dev/null 2>&1
expect_eq "crash before renames: file old" 2 "$(cat c1)"
run_cairn -c 'cat c1'
expect_eq "crash before renames: finished" 3 "$OUT"

# kill -9 of cairn while a step runs: nothing of the step lands.
"$CAIRN" -c 'echo partial > during.txt; sleep 30.7357' >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 300); do pgrep -f 'sleep 30.7357' >/dev/null && break; sleep 0.1; done
kill -9 $cpid
wait $cpid 2>/dev/null
sleep 0.3
[ -e during.txt ] && fail "killed step: its output landed"
if pgrep -f 'sleep 30.7357' >/dev/null; then
	fail "killed step: its process outlived cairn"
	pkill -9 -f 'sleep 30.7357'
fi
run_cairn -c 'echo after'
expect_eq "after a killed step: cairn works" after "$OUT"
expect_eq "after a killed step: its directories were swept" "" "$(ls -A .cairn/tmp)"
# Records are stored by a writer process while the next step runs; if
# cairn and its writer are both killed before a record is stored, the
# next cairn stores it from .cairn/journal.
CAIRN_TEST_WRITER_HOLD=1 "$CAIRN" -c 'echo held > held.txt # marker-4711' >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 300); do [ -e held.txt ] && break; sleep 0.1; done
sleep 0.3
kill -9 $cpid 2>/dev/null
wait $cpid 2>/dev/null
pkill -9 -f 'marker-4711'
expect_eq "held writer: output committed" held "$(cat held.txt 2>/dev/null)"
ls .cairn/journal/*.json >/dev/null 2>&1 || fail "held writer: no pending record left"
run_cairn -c 'true'
expect_eq "held writer: the record was stored by the next cairn" True \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print(any("marker-4711" in s["command"] for s in json.load(sys.stdin)))')"
ls .cairn/journal/*.json >/dev/null 2>&1 && fail "held writer: pending record left behind"
git --git-dir .cairn/lineage.git fsck --no-progress >/dev/null 2>&1 || fail "store not consistent"

# cairn killed at each point of the commit protocol (docs/store.md,
# "Crash safety"): before the next cairn each file is old or new; after
# its recovery the step is either recorded with every output on disk or
# not recorded with every file old, and the store is consistent.
nsteps() { "$CAIRN" log --json -n 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
for pt in synced journal record applied committed stored; do
	printf old >k1
	printf old >k2
	rm -f k3
	mkdir -p kd && printf old >kd/gone
	n0=$(nsteps)
	CAIRN_TEST_CRASH_AT=$pt "$CAIRN" -c "printf new > k1; printf new > k2; printf new > k3; rm kd/gone # point-$pt" >/dev/null 2>&1
	rc=$?
	[ "$pt" = stored ] || expect_eq "crash at $pt: cairn died there" 137 $rc
	for f in k1 k2 k3 kd/gone; do
		case $(cat $f 2>/dev/null || echo absent) in old | new | absent) ;; *) fail "crash at $pt: $f is torn: $(cat $f)" ;; esac
	done
	run_cairn -c 'true'
	expect_eq "crash at $pt: the next cairn works" 0 "$RC"
	now="$(cat k1) $(cat k2) $(cat k3 2>/dev/null || echo absent) $(cat kd/gone 2>/dev/null || echo absent)"
	case $pt in
	synced | journal)
		expect_eq "crash at $pt: nothing committed" "old old absent old" "$now"
		expect_eq "crash at $pt: not recorded" $((n0 + 1)) "$(nsteps)"
		;;
	*)
		expect_eq "crash at $pt: all committed" "new new new absent" "$now"
		expect_eq "crash at $pt: recorded" $((n0 + 2)) "$(nsteps)"
		expect_match "crash at $pt: the record is the step's" "point-$pt" "$(rec @2 'r["command"]')"
		expect_eq "crash at $pt: the record names what is on disk" "$(sha256sum <k3 | cut -c1-64)" \
			"$(rec @2 'writes()["k3"]["sha256"]')"
		;;
	esac
	ls .cairn/journal/* >/dev/null 2>&1 && fail "crash at $pt: left in the journal: $(ls .cairn/journal)"
	run_cairn fsck
	expect_eq "crash at $pt: fsck clean" 0 "$RC"
	[ "$RC" -eq 0 ] || echo "$OUT" >&2
	run_cairn status
	[[ $OUT =~ (modified|deleted)\ +k ]] && fail "crash at $pt: an output differs from its record: $OUT"
	rm -f k1 k2 k3
done

# Records left pending by a killed cairn and its writer are stored in the
# order their steps ran, whatever order the directory lists them in: each
# step read what the one before wrote, and keeps that step as `producer`.
printf 0 >p0
: >chain-5813.sh
for i in $(seq 1 8); do echo "cat p$((i - 1)) > p$i; echo $i >> p$i" >>chain-5813.sh; done
CAIRN_TEST_WRITER_HOLD=1 "$CAIRN" run chain-5813.sh >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 300); do [ "$(ls .cairn/journal/*.json 2>/dev/null | wc -l)" -ge 8 ] && break; sleep 0.1; done
sleep 0.3
kill -9 $cpid 2>/dev/null
wait $cpid 2>/dev/null
pkill -9 -f 'chain-5813'
expect_eq "held chain: every record pending" 8 "$(ls .cairn/journal/*.json 2>/dev/null | wc -l)"
run_cairn -c 'true'
ls .cairn/journal/*.json >/dev/null 2>&1 && fail "held chain: pending records left behind"
"$CAIRN" log --json -n 100000 | python3 -c '
import json, subprocess, sys
steps = [s for s in json.load(sys.stdin) if s["command"].startswith("cat p")]
recs = {}
for s in steps:
    r = json.loads(subprocess.run([sys.argv[1], "show", s["id"], "--json"], capture_output=True, text=True).stdout)
    recs[r["seq"]] = r
assert sorted(recs) == list(range(1, 9)), sorted(recs)
bad = 0
for k in range(2, 9):
    read = [x for x in recs[k]["reads"] if x["path"] == "p%d" % (k - 1)]
    if not read or read[0].get("producer") != recs[k - 1]["id"]:
        print("step %d: read of p%d has producer %s, not %s" % (k, k - 1, read and read[0].get("producer"), recs[k - 1]["id"]))
        bad += 1
sys.exit(1 if bad else 0)' "$CAIRN" >&2 || fail "held chain: producer links lost in recovery"
run_cairn lineage p8
expect_match "held chain: lineage reaches the first step" "cat p0 > p1" "$OUT"

# Two sessions in one project at once lose nothing.
n0=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
seq 5 | sed 's/.*/echo a& > ca&/' > sa.sh
seq 5 | sed 's/.*/echo b& > cb&/' > sb.sh
"$CAIRN" run sa.sh & "$CAIRN" run sb.sh
wait
expect_eq "concurrent: every output" "a1a2a3a4a5b1b2b3b4b5" "$(cat ca1 ca2 ca3 ca4 ca5 cb1 cb2 cb3 cb4 cb5 | tr -d '\n')"
expect_eq "concurrent: every record" $((n0 + 10)) \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
git --git-dir .cairn/lineage.git fsck --no-progress >/dev/null 2>&1 || fail "concurrent: store not consistent"

done_testing
