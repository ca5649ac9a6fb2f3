# cairn rerun --jobs: the independent branches of a lineage at once, yet
# records, output and files exactly those of rebuilding it in order; a
# failing step while another runs ahead changes nothing.
. "$TEST_SRC/test/integration/lib.sh"

# What must be the same in two reruns, per step of SESSION: JSON lines.
records_of() { session_records "$1" '{"rerun": r["rerun"]}'; }
sums() { sha256sum out/* | sort; }

mkdir data out
printf 'pear\napple\n' >data/a.txt
printf 'kiwi\nlime\n' >data/b.txt
printf 'plum\nfig\n' >data/a2.txt
printf 'seven\n' >data/bad.txt
# Two branches that take a while, a merge, and a step outside the lineage.
cat >p.sh <<'EOF'
sleep 0.4; sort data/a.txt > out/a.sorted; ! grep -q seven out/a.sorted
sleep 0.4; tr a-z A-Z < data/b.txt > out/b.upper
cat out/a.sorted out/b.upper > out/ab.txt
echo unrelated > out/other.txt
EOF
"$CAIRN" run p.sh >/dev/null 2>&1 </dev/null || fail "first run"
"$CAIRN" run p.sh >/dev/null 2>&1 </dev/null || fail "second run"
cp -r out out.orig
N0=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

# ---- in order, then two at once: the same records and files --------------
run_cairn rerun out/ab.txt --with data/a.txt=data/a2.txt --no-cache --jobs 1
expect_eq "rerun --jobs 1: status" 0 "$RC"
expect_eq "rerun --jobs 1: the new merge" "fig
plum
KIWI
LIME" "$(cat out/ab.txt)"
s1=$(last_session)
sums >serial.sums
records_of "$s1" >serial.rec

# Back to where we were, by rebuilding with the old input.
run_cairn rerun out/ab.txt --with data/a2.txt=data/a.txt --jobs 1
expect_eq "rerun back: status" 0 "$RC"
expect_eq "rerun back: the old merge" "$(cat out.orig/ab.txt)" "$(cat out/ab.txt)"

run_cairn rerun out/ab.txt --with data/a.txt=data/a2.txt --no-cache --jobs 2
expect_eq "rerun --jobs 2: status" 0 "$RC"
expect_match "rerun --jobs 2: a step ran ahead of its turn" "3 ran \(1 ahead of turn\)" "$ERR"
s2=$(last_session)
sums >parallel.sums
records_of "$s2" >parallel.rec
expect_eq "the same files" "$(cat serial.sums)" "$(cat parallel.sums)"
expect_eq "three records each" "3 3" "$(wc -l <serial.rec) $(wc -l <parallel.rec)"
# Records are the same but for the step the rerun started from (each
# rerun's of_step is the step it rebuilt).
strip() { python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r["rerun"]["of_step"] = "-"; print(json.dumps(r, sort_keys=True))'; }
expect_eq "the same records, field by field" "$(strip <serial.rec)" "$(strip <parallel.rec)"
expect_eq "the step outside the lineage did not run" "$(cat out.orig/other.txt)" "$(cat out/other.txt)"
[ -z "$(ls .cairn/tmp | grep '\.j[0-9]')" ] || fail "workers left layers: $(ls .cairn/tmp)"

# ---- the first step fails while the second runs ahead: nothing changes ----
cp -r out out.before
N1=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
CAIRN_DEBUG_SCHED=1 run_cairn rerun out/ab.txt --with data/a2.txt=data/bad.txt --no-cache --jobs 2
expect_eq "failing rerun: status" 1 "$RC"
expect_match "failing rerun: the second step had started ahead" "step 2 starts early" "$ERR"
expect_match "failing rerun: says which step" "failed with status 1: nothing was changed" "$ERR"
expect_eq "failing rerun: files as before" "$(cd out.before && sha256sum * | sort)" \
	"$(cd out && sha256sum * | sort)"
expect_eq "failing rerun: no record" "$N1" \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
[ -z "$(ls .cairn/tmp | grep '\.j[0-9]')" ] || fail "workers left layers: $(ls .cairn/tmp)"
run_cairn fsck
expect_eq "fsck after the failing rerun" 0 "$RC"

# ---- usage ------------------------------------------------------------------
run_cairn rerun out/ab.txt --jobs 0
expect_eq "--jobs 0" 2 "$RC"
expect_match "--jobs 0: message" "--jobs takes a number" "$ERR"
expect_eq "nothing recorded by the usage errors" "$N1" \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
expect_eq "N0 steps at first" 8 "$N0"

done_testing
