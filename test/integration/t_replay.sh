# ctest-labels: slow
# cairn replay: a recorded session (or a script) run again through the
# cache; with --jobs, independent steps at once, yet records, output and
# files exactly those of a serial replay.
. "$TEST_SRC/test/integration/lib.sh"

# Which of the last N steps (oldest first) were cached: "r c c ..."
pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}

# What must be the same in two replays, per step of SESSION: JSON lines.
records_of() {
	session_records "$1" '{"state_change": r["state_change"], "lookup": r["cache"]["lookup"]}'
}

# ---- 1. a 10-step session, two inputs changed: exactly the dependent steps
mkdir data
printf 'pear\napple\nfig\n' >data/a.txt
printf 'kiwi\nlime\n' >data/b.txt
printf '1\n2\n3\n' >data/c.txt
mkdir out
cat >p.sh <<'EOF'
echo "fruit report"
sort data/a.txt > out/a.sorted
sort data/b.txt > out/b.sorted
wc -l < data/c.txt > out/c.count
tr a-z A-Z < out/a.sorted > out/a.upper
tr a-z A-Z < out/b.sorted > out/b.upper
cat out/a.upper out/b.upper > out/ab.txt
n=$(cat out/c.count)
echo "c has $n lines" > out/c.txt
cat out/ab.txt out/c.txt
EOF
"$CAIRN" run p.sh >run.out 2>run.err </dev/null
expect_eq "recorded run" 0 $?
first=$(last_session)
expect_eq "recorded run ran everything" "r r r r r r r r r r" "$(pattern 10)"

printf 'plum\nbanana\n' >data/a.txt
printf '1\n2\n' >data/c.txt
run_cairn replay
expect_eq "replay status" 0 "$RC"
expect_eq "replay re-runs the dependent steps" "c r c r r c r r r r" "$(pattern 10)"
expect_eq "replay output" "fruit report BANANA PLUM KIWI LIME c has 2 lines" "$(echo $OUT)"
expect_match "replay summary" "cairn replay: 10 steps: 3 cached, 7 ran · [0-9.]+ s · [0-9.]+ s of CPU saved" "$ERR"
# The same as bash running the script itself.
B=$(mktemp -d)
cp -r data p.sh "$B/" && mkdir "$B/out" && (cd "$B" && bash p.sh >out.txt 2>&1)
expect_eq "replay output is bash's" "$(cat "$B/out.txt")" "$OUT"
for f in a.sorted b.sorted c.count a.upper b.upper ab.txt c.txt; do
	cmp -s "out/$f" "$B/out/$f" || fail "out/$f differs from bash's"
done
rm -rf "$B"

# Replaying the same session once more: everything cached.
run_cairn replay "$first"
expect_eq "second replay status" 0 "$RC"
expect_eq "replay of the first session, inputs as the last replay left them" \
	"c c c c c c c c c c" "$(pattern 10)"
expect_match "all-cached summary" "10 steps: 10 cached, 0 ran" "$ERR"

# ---- 2. parallel replay: the same records as a serial one ----------------
mkdir -p par && cd par && mkdir .cairn
for i in 1 2 3 4 5 6; do echo "input $i" >in$i.txt; done
cat >q.sh <<'EOF'
echo start
sleep 0.3; sha256sum in1.txt > h1.txt
sleep 0.3; sha256sum in2.txt > h2.txt
x=three
sleep 0.3; echo "$x" >&2; sha256sum in3.txt > h3.txt
sleep 0.3; cat h1.txt h2.txt | wc -l > n12.txt
sleep 0.3; sha256sum in4.txt > h4.txt; echo four
mkdir -p sub; cd sub
sleep 0.3; ls .. > listing.txt
sleep 0.3; sha256sum ../in5.txt > h5.txt
cat ../n12.txt ../h3.txt | wc -c
EOF
"$CAIRN" run q.sh >q.out 2>&1 </dev/null
expect_eq "q recorded" 0 $?
q1=$(last_session)

# Both replays print to the same files (descriptors are in the state).
rm -rf h?.txt n12.txt sub
"$CAIRN" replay --jobs 1 --no-cache "$q1" >../r.out 2>../r.err </dev/null
expect_eq "serial replay" 0 $?
qs=$(last_session)
mv ../r.out ../serial.out
mv ../r.err ../serial.err
cp -r . ../par.serial
rm -rf h?.txt n12.txt sub
"$CAIRN" replay --jobs 4 --no-cache "$q1" >../r.out 2>../r.err </dev/null
expect_eq "parallel replay" 0 $?
qp=$(last_session)
expect_match "steps ran ahead of their turn" "4 jobs, [1-9][0-9]* steps? ahead of turn" \
	"$(cat ../r.err)"
cmp -s ../serial.out ../r.out || fail "parallel stdout differs: $(cat ../r.out)"
expect_eq "parallel stderr" "$(grep -v '^cairn replay' ../serial.err)" \
	"$(grep -v '^cairn replay' ../r.err)"
records_of "$qs" >rec.serial
records_of "$qp" >rec.parallel
expect_eq "records in the serial replay" 11 "$(wc -l <rec.serial)"
cmp -s rec.serial rec.parallel || fail "parallel records differ: $(diff rec.serial rec.parallel | head -5)"
for f in h1.txt h2.txt h3.txt h4.txt sub/h5.txt n12.txt sub/listing.txt; do
	cmp -s "$f" "../par.serial/$f" || fail "$f differs between serial and parallel replays"
done
[ -z "$(ls .cairn/tmp | grep '\.j[0-9]')" ] || fail "workers left layers: $(ls .cairn/tmp)"
# With standard input closed, descriptor 0 is free in cairn: nothing of
# the scheduler's may land there.
rm -rf h?.txt n12.txt sub
"$CAIRN" replay --jobs 4 --no-cache "$q1" >../r.out 2>../r.err <&-
expect_eq "parallel replay, stdin closed" 0 $?
expect_match "steps ran ahead, stdin closed" "[1-9][0-9]* steps? ahead of turn" "$(cat ../r.err)"
cmp -s ../serial.out ../r.out || fail "parallel stdout, stdin closed: $(cat ../r.out)"
"$CAIRN" run q.sh >/dev/null 2>&1 <&-
expect_eq "cairn run with standard input closed" 0 $?
for f in h1.txt h2.txt h3.txt h4.txt sub/h5.txt n12.txt; do
	cmp -s "$f" "../par.serial/$f" || fail "$f differs (stdin closed)"
done
cd ..

# ---- 3. a step that now reads what an earlier one writes ---------------
mkdir -p dep && cd dep && mkdir .cairn
echo old-b >b.txt
echo b.txt >which.txt
cat >d.sh <<'EOF'
sleep 0.3; date +%s%N > a.txt
sleep 0.1; f=$(cat which.txt); cat "$f" > got.txt
sleep 0.3; echo done
EOF
"$CAIRN" run d.sh >/dev/null 2>&1 </dev/null
d1=$(last_session)
# Recorded: step 2 read b.txt only.  Now it reads a.txt, which step 1
# rewrites: running ahead, it saw the old a.txt and must run again.
echo a.txt >which.txt
run_cairn replay --jobs 2 --no-cache "$d1"
expect_eq "dependent replay status" 0 "$RC"
expect_eq "the late reader saw the new a.txt" "$(cat a.txt)" "$(cat got.txt)"
expect_match "the early run was dropped" "[12] run again in order" "$ERR"
cd ..

# ---- 4. the session ends while later steps run ahead ------------------
mkdir -p ends && cd ends && mkdir .cairn
cat >e.sh <<'EOF'
echo one
sleep 0.2; test -f stop && exit 3
sleep 0.5; echo five > f5.txt
sleep 0.5; echo six > f6.txt
echo seven > f7.txt
EOF
"$CAIRN" run e.sh >/dev/null 2>&1 </dev/null
e1=$(last_session)
rm -f f?.txt
touch stop
run_cairn replay --jobs 4 --no-cache "$e1"
expect_eq "exit status of the ended session" 3 "$RC"
expect_eq "its output" "one" "$OUT"
expect_match "summary counts the step that ended it" "cairn replay: 2 steps: 0 cached, 2 ran \(1 failed\), 3 not reached" "$ERR"
[ ! -e f5.txt ] && [ ! -e f6.txt ] && [ ! -e f7.txt ] ||
	fail "steps after exit left files: $(ls)"
expect_eq "records of the ended session" 2 "$("$CAIRN" log --json | python3 -c '
import json,sys; l=json.load(sys.stdin); print(sum(1 for s in l if s["session"]==l[0]["session"]))')"
[ -z "$(ls .cairn/tmp | grep '\.j[0-9]')" ] || fail "workers left layers: $(ls .cairn/tmp)"
cd ..

# ---- 5. sessions of -c, with arguments, from a subdirectory ------------
mkdir -p sub2 && cd sub2
"$CAIRN" -c 'echo "$0 $1 $2" > args.txt; cat args.txt' me x y >"$T_DIR/.out" 2>"$T_DIR/.err" </dev/null
cd ..
c1=$(last_session)
rm sub2/args.txt
run_cairn replay "$c1"
expect_eq "-c session replayed" "me x y" "$OUT"
expect_eq "-c replay cached" "c" "$(pattern 1)"
expect_eq "its file restored where it was written" "me x y" "$(cat sub2/args.txt)"

# ---- 6. a step ahead of its turn never takes the session's input ---------
mkdir -p input && cd input && mkdir .cairn
cat >i.sh <<'EOF'
sleep 0.3; echo first > first.txt
sleep 0.3; cat > got.txt
sleep 0.3; echo third > third.txt
EOF
"$CAIRN" run i.sh >/dev/null 2>&1 </dev/null
i1=$(last_session)
rm -f got.txt
printf 'line one\nline two\n' | "$CAIRN" replay --jobs 3 --no-cache "$i1" >/dev/null 2>err.txt
expect_eq "replay with input" 0 $?
expect_eq "the step that reads its input got all of it" "line one
line two" "$(cat got.txt)"
expect_match "the reader ran again in order" "run again in order" "$(cat err.txt)"
cd ..

# ---- 7. cairn killed while steps run ahead ------------------------------
cd par
for delay in 0.2 0.5 0.9; do
	rm -rf h?.txt n12.txt sub
	"$CAIRN" replay --jobs 4 --no-cache "$q1" >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "$delay"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	sleep 0.2 # the sandboxes die with their workers
done
# The next session finishes what was half done and sweeps the workers'
# layers; then a full replay leaves what a serial one does.
"$CAIRN" replay --jobs 4 "$q1" >../after.out 2>/dev/null </dev/null
expect_eq "replay after kills" 0 $?
cmp -s ../serial.out ../after.out || fail "output after kills: $(cat ../after.out)"
for f in h1.txt h2.txt h3.txt h4.txt sub/h5.txt n12.txt; do
	cmp -s "$f" "../par.serial/$f" || fail "$f after kills differs from a serial replay's"
done
[ -z "$(ls .cairn/tmp | grep '\.j[0-9]')" ] || fail "killed workers' layers left: $(ls .cairn/tmp)"
out=$("$CAIRN" fsck 2>&1) || fail "fsck after kills: $out"
cd ..

# ---- 7a. steps writing through a descriptor an earlier step opened -------
# The sandbox does not see writes through `exec 3>log`: such steps never
# run ahead of their turn (one ahead wrote its line first: one three two).
phase "7a: descriptors opened by a step"
mkdir fdw && (
	cd fdw && mkdir .cairn &&
		printf 'exec 3>fdlog.txt\nsleep 0.3; echo one >&3\nsleep 0.1; echo two >&3\nsleep 0.1; echo three >&3\ncat fdlog.txt\n' >fdw.sh &&
		"$CAIRN" run fdw.sh >/dev/null 2>&1 </dev/null &&
		for i in 1 2 3; do "$CAIRN" -q replay --jobs 2 --no-cache 2>&1 </dev/null | tr '\n' ' '; done
) >fdw.out
expect_eq "7a: lines written through a step's descriptor stay in order" \
	"one two three one two three one two three " "$(cat fdw.out)"
rm -rf fdw fdw.out

# ---- 7b. a step writing into a directory an earlier step makes ----------
# Its recorded reads do not name the directory (older records), but its
# writes are below what the earlier step wrote: it waits for it.
mkdir -p mk && cd mk && mkdir .cairn
cat >m.sh <<'EOF'
sleep 0.3; mkdir -p sweep
sleep 0.2; for i in 1 2; do echo "$i" > sweep/f$i.out; done
cat sweep/*.out
EOF
"$CAIRN" run m.sh >/dev/null 2>&1 </dev/null || fail "mk: first run"
m1=$(last_session)
rm -rf sweep
run_cairn replay --jobs 2 --no-cache "$m1"
expect_eq "mk: replay status" 0 "$RC"
expect_eq "mk: replay output" "1
2" "$OUT"
expect_eq "mk: files" "1 2" "$(cat sweep/f1.out) $(cat sweep/f2.out)"
cd ..

# ---- 8. errors ------------------------------------------------------------
run_cairn replay no-such-session
expect_eq "unknown session" 2 "$RC"
expect_match "unknown session message" "no session no-such-session" "$ERR"
run_cairn replay --jobs 0
expect_eq "--jobs 0" 2 "$RC"
run_cairn replay --frobnicate
expect_eq "unknown option" 2 "$RC"
run_cairn replay --help
expect_match "help" "cairn replay \[--jobs N\]" "$OUT"

"$CAIRN" fsck >/dev/null 2>&1 || fail "fsck after replays: $("$CAIRN" fsck 2>&1 | tail -3)"
git --git-dir .cairn/lineage.git fsck --strict >/dev/null 2>&1 || fail "git fsck"

done_testing
