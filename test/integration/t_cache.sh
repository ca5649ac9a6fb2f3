# ctest-labels: slow
# The cache: verifying traces.  A 5-step pipeline run again is all hits
# with identical output; each kind of change re-runs exactly the steps it
# reaches, and `cairn why` names the change.
. "$TEST_SRC/test/integration/lib.sh"

mkdir data
printf 'pear\napple\nfig\n' >data/a.txt
echo 1,2 >data/x.csv
echo 3,4 >data/y.csv
cat >p.sh <<'EOF'
sort data/a.txt > sorted.txt
ls data/*.csv | wc -l > count.txt
if [ -f extra.cfg ]; then cat extra.cfg; fi > cfg.txt
tr a-z A-Z < sorted.txt > upper.txt
cat upper.txt count.txt cfg.txt; echo "to stderr" >&2
EOF

# Which of the last N steps (oldest first) were cached: "r c c ..."
pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}

"$CAIRN" run p.sh >out1 2>err1 </dev/null
expect_eq "first run status" 0 $?
expect_eq "first run" "r r r r r" "$(pattern 5)"
expect_eq "first run output" "APPLE FIG PEAR 2" "$(tr '\n' ' ' <out1 | sed 's/ $//')"

# 1. Again: all hits, identical stdout and stderr.
"$CAIRN" run p.sh >out2 2>err2 </dev/null
expect_eq "second run status" 0 $?
expect_eq "second run all cached" "c c c c c" "$(pattern 5)"
cmp -s out1 out2 || fail "cached stdout differs: $(cat out2)"
cmp -s err1 err2 || fail "cached stderr differs: $(cat err2)"
run_cairn why @1
expect_match "why of a hit" "served from the cache: every input it read was the same" "$OUT"
expect_eq "cached record names its source" "True" \
	"$(rec @1 'r["from_step"] is not None and r["cache"]["lookup"] == "hit"')"

# Through a pipe with 2>&1: where output goes is in no key, and a step
# that wrote to one stream only is replayed into the merged one; the last
# step wrote to both, whose order two separate captures cannot rebuild,
# so it runs; the next run replays its bytes in order.
"$CAIRN" run p.sh 2>&1 </dev/null | cat >out3a
expect_eq "first merged run" "c c c c r" "$(pattern 5)"
"$CAIRN" run p.sh 2>&1 </dev/null | cat >out3b
expect_eq "second merged run all cached" "c c c c c" "$(pattern 5)"
cmp -s out3a out3b || fail "merged cached output differs: $(cat out3b)"
expect_eq "merged output" "$(cat out1 err1 | sort)" "$(sort out3b)"
expect_eq "merged record" "True" "$(rec @1 'r["output_merged"] and r["stderr_sha256"] is None')"

# 2. Touching an input keeps the hits.
touch -d '2001-01-01' data/a.txt
"$CAIRN" run p.sh >out4 2>/dev/null </dev/null
expect_eq "touched input" "c c c c c" "$(pattern 5)"
cmp -s out1 out4 || fail "output after touch differs"

# 3. A changed input re-runs exactly the steps downstream of it.
printf 'pear\napple\nkiwi\n' >data/a.txt
old=$(sha256sum <sorted.txt | cut -c1-64)
"$CAIRN" run p.sh >out5 2>/dev/null </dev/null
expect_eq "changed input" "r c c r r" "$(pattern 5)"
expect_eq "changed input output" "APPLE KIWI PEAR 2" "$(tr '\n' ' ' <out5 | sed 's/ $//')"
run_cairn why sorted.txt
expect_match "why changed input" "an input changed: data/a.txt: content changed" "$OUT"
expect_match "why shows the old hash" "old sha256 [0-9a-f]{64}" "$OUT"
expect_match "why shows the new hash" "new sha256 [0-9a-f]{64}" "$OUT"
[ -n "$old" ] || fail "no hash"

# 4. A new file in a globbed directory re-runs the step that listed it.
echo 5,6 >data/z.csv
"$CAIRN" run p.sh >out6 2>/dev/null </dev/null
got=$(pattern 5)
expect_eq "new file in globbed dir" "c r c c r" "$got"
run_cairn why count.txt
expect_match "why listing" "an input changed: data: listing changed" "$OUT"
expect_match "new count" "3" "$(cat count.txt)"

# 5. Creating a path a step probed as absent re-runs it.
echo "mode=fast" >extra.cfg
"$CAIRN" run p.sh >out7 2>/dev/null </dev/null
expect_eq "absent path appeared" "c c r c r" "$(pattern 5)"
run_cairn why cfg.txt
expect_match "why appeared" "an input changed: extra.cfg: appeared" "$OUT"
expect_eq "cfg" "mode=fast" "$(cat cfg.txt)"

# 6. Editing step 4's command: it re-runs; step 5 only if its outputs changed.
sed -i 's/^tr a-z A-Z < sorted.txt > upper.txt$/tr "a-z" "A-Z" < sorted.txt > upper.txt/' p.sh
"$CAIRN" run p.sh >out8 2>/dev/null </dev/null
expect_eq "edited command, same output (early cut-off)" "c c c r c" "$(pattern 5)"
run_cairn why upper.txt
expect_match "why command" "action key differs .*command" "$OUT"
expect_match "why old command" "command was: tr a-z A-Z < sorted.txt > upper.txt" "$OUT"
sed -i 's/^tr "a-z" "A-Z" < sorted.txt > upper.txt$/tr a-z A-Z < sorted.txt | rev > upper.txt/' p.sh
"$CAIRN" run p.sh >out9 2>/dev/null </dev/null
expect_eq "edited command, new output" "c c c r r" "$(pattern 5)"
expect_match "reversed" "ELPPA" "$(cat out9)"

# 7. A variable in the state: the key's state part names it.
cat >v.sh <<'EOF'
echo "$GREETING" > greet.txt
EOF
GREETING=hello "$CAIRN" run v.sh </dev/null
GREETING=hello "$CAIRN" run v.sh </dev/null
expect_eq "same env hit" "c" "$(pattern 1)"
GREETING=bye "$CAIRN" run v.sh </dev/null
expect_eq "env change runs" "r" "$(pattern 1)"
run_cairn why greet.txt
expect_match "why names the variable" "state .*GREETING=bye" "$OUT"

# 7b. Lines moved: a step hits on another line unless its output could
# show the line ($LINENO, or anything on stderr).
printf ':\necho a > a1.txt\necho "line $LINENO" > l.txt\n' >ln.sh
"$CAIRN" run ln.sh </dev/null
"$CAIRN" run ln.sh </dev/null
expect_eq "line script cached" "c c c" "$(pattern 3)"
sed -i '2i true' ln.sh
"$CAIRN" run ln.sh </dev/null
expect_eq "moved lines" "c r c r" "$(pattern 4)"
expect_eq "LINENO right" "line 4" "$(cat l.txt)"
run_cairn why l.txt
expect_match "why line" "it ran on line 3 before" "$OUT"

# 8. Deleted outputs are restored from the store on a hit.
rm upper.txt sorted.txt
"$CAIRN" run p.sh >out10 2>/dev/null </dev/null
expect_eq "restored outputs" "c c c c c" "$(pattern 5)"
cmp -s out9 out10 || fail "output after restore differs"
expect_eq "restored file" "$(printf 'apple\nkiwi\npear')" "$(cat sorted.txt)"
expect_eq "restored record" "True" "$(rec @2 '"upper.txt" in writes() and r["cached"]')"

# 9. Not served: --no-cache, #cairn: nocache, network, failed steps.
"$CAIRN" run --no-cache p.sh >/dev/null 2>&1 </dev/null
expect_eq "--no-cache" "r r r r r" "$(pattern 5)"
run_cairn why @1
expect_match "why --no-cache" "the cache was not used: --no-cache" "$OUT"
printf '#cairn: nocache\ndate +%%N > now.txt\n' >n.sh
"$CAIRN" run n.sh </dev/null
"$CAIRN" run n.sh </dev/null
expect_eq "nocache" "r" "$(pattern 1)"
printf 'echo x > f.txt; false\n' >f.sh
"$CAIRN" run f.sh </dev/null
"$CAIRN" run f.sh </dev/null
expect_eq "failed step" "r" "$(pattern 1)"
[ -e f.txt ] && fail "a failed step's output appeared"

# 10. A damaged cached object is a miss, never wrong output.
"$CAIRN" run p.sh >/dev/null 2>&1 </dev/null
obj=$(rec @2 'writes()["upper.txt"]["sha256"]')
f=.cairn/cas/sha256/${obj:0:2}/${obj:2}
chmod u+w "$f"
printf 'garbage' >"$f"
rm upper.txt
"$CAIRN" run p.sh >out11 2>/dev/null </dev/null
expect_eq "corrupt object re-runs the step" "r" "$(pattern 5 | cut -d' ' -f4)"
cmp -s out10 out11 || fail "output with a corrupt object differs"
# Corrupt with bytes of the right size, which a put cannot tell by the
# size: the hit that finds it sets it aside, the step runs and stores it
# again, and the next run is served (the object healed).
obj=$(rec @2 'writes()["upper.txt"]["sha256"]')
f=.cairn/cas/sha256/${obj:0:2}/${obj:2}
size=$(stat -c %s "$f")
chmod u+w "$f"
head -c "$size" /dev/zero >"$f"
rm upper.txt
"$CAIRN" run p.sh >/dev/null 2>&1 </dev/null
expect_eq "same-size corrupt object re-runs the step" "r" "$(pattern 5 | cut -d' ' -f4)"
expect_eq "the object healed" "$obj" "$(sha256sum <"$f" | cut -d' ' -f1)"
rm upper.txt
"$CAIRN" run p.sh >/dev/null 2>&1 </dev/null
expect_eq "served again once healed" "c" "$(pattern 5 | cut -d' ' -f4)"

# 11. A step that reads the session's standard input is never served from
# the cache; one that does not (even in a pipeline of its own) is.
printf 'printf "x\\n" | cat > inner.txt\nread line; echo "$line" > got.txt\n' >r.sh
echo one | "$CAIRN" run r.sh
echo one | "$CAIRN" run r.sh
expect_eq "stdin: inner pipeline cached, reader not" "c r" "$(pattern 2)"
echo two | "$CAIRN" run r.sh
expect_eq "stdin read again" "two" "$(cat got.txt)"
run_cairn why got.txt
expect_match "why stdin" "it read the session's standard input" "$OUT"
expect_eq "stdin_read recorded" "True" "$(rec @1 'r["sandbox"]["stdin_read"]')"
expect_eq "inner pipeline not a stdin read" "False" "$(rec @2 'r["sandbox"]["stdin_read"]')"
"$CAIRN" run r.sh </dev/null
"$CAIRN" run r.sh </dev/null
expect_eq "stdin /dev/null: reading it is no input" "c c" "$(pattern 2)"
# Other ways to read it: by name, through a copy, from the terminal.
printf 'cat /dev/stdin > s1.txt\n' >s1.sh
printf 'exec 3<&0\nread -u 3 l; echo "$l" > s2.txt\n' >s2.sh
printf 'head -c1 /proc/self/fd/0 > s3.txt\n' >s3.sh
for sc in s1 s2 s3; do
	echo one | "$CAIRN" run $sc.sh
	echo two | "$CAIRN" run $sc.sh
	expect_eq "$sc reads stdin: runs" "r" "$(pattern 1)"
	expect_match "$sc got the new input" "^t" "$(cat $sc.txt)"
done

# 12. Variables that change by themselves keep a step out of the cache;
# a command repeated within one session runs again.
printf 'sleep 1.1\necho "$SECONDS"\nSECONDS=50\necho "$SECONDS"\n' >sec.sh
"$CAIRN" run sec.sh >sec1.out </dev/null
expect_match "SECONDS first run" $'^[1-9]\n5[0-9]$' "$(cat sec1.out)"
"$CAIRN" run sec.sh >sec2.out </dev/null
expect_match "SECONDS second run" $'^[0-9]\n5[0-9]$' "$(cat sec2.out)"
expect_eq "SECONDS steps run" "c r r r" "$(pattern 4)"
run_cairn why @1
expect_match "why SECONDS" "it uses \\\$SECONDS" "$OUT"
printf ':\ndate +%%s%%N > d1.txt\ncp d1.txt d2.txt\ndate +%%s%%N > d1.txt\n' >d.sh
"$CAIRN" run d.sh </dev/null
# (The first, `:`, is served from ln.sh's run: the script's name is in
# no key.)
expect_eq "same session: repeated command runs" "c r r r" "$(pattern 4)"
run_cairn why @1
expect_match "why same session" "already ran from the same state earlier in this session" "$OUT"
cmp -s d1.txt d2.txt && fail "repeated date served from this session's cache"

# 12b. Several traces per key: a step that reads different files on
# different inputs hits for each of them.
echo A >fa.txt
echo B >fb.txt
printf ':\nif [ -e flag ]; then cat fa.txt; else cat fb.txt; fi > pick.txt\n' >pick.sh
"$CAIRN" run pick.sh </dev/null
touch flag
"$CAIRN" run pick.sh </dev/null
expect_eq "flag: second trace made" "A" "$(cat pick.txt)"
rm flag
"$CAIRN" run pick.sh </dev/null
expect_eq "no flag: first trace hits" "c c" "$(pattern 2)"
expect_eq "no flag: its output" "B" "$(cat pick.txt)"
touch flag
"$CAIRN" run pick.sh </dev/null
expect_eq "flag: second trace hits" "c c" "$(pattern 2)"
expect_eq "flag: its output" "A" "$(cat pick.txt)"

# 12c. A reader that goes away (| head -1) ends the writing step with
# SIGPIPE, as under bash, and never cairn: the script goes on, also when
# the output is replayed from the cache.
printf 'seq 1 200000\necho "seq status $?" >&2\ntouch done.txt\n' >sp.sh
for round in ran cached; do
	rm -f done.txt
	"$CAIRN" run sp.sh 2>sp.err </dev/null | head -1 >sp.out
	expect_eq "head -1 ($round): status of cairn" 0 "${PIPESTATUS[0]}"
	expect_eq "head -1 ($round): output" "1" "$(cat sp.out)"
	expect_eq "head -1 ($round): the step got SIGPIPE" "seq status 141" "$(cat sp.err)"
	[ -e done.txt ] || fail "head -1 ($round): the script did not go on"
done

# Replaying a cached step's output into a pipe whose reader went away
# does not end cairn either.
printf ':\nseq 1 200000\ntouch ppdone.txt\n' >pp.sh
"$CAIRN" run pp.sh >/dev/null </dev/null
rm -f ppdone.txt
"$CAIRN" run pp.sh 2>/dev/null </dev/null | head -1 >pp.out
expect_eq "replay into a closed pipe: cairn's status" 0 "${PIPESTATUS[0]}"
expect_eq "replay into a closed pipe: cached" "c c c" "$(pattern 3)"
[ "$(pattern 3)" = "c c c" ] || "$CAIRN" why @1 >&2
[ -e ppdone.txt ] || fail "replay into a closed pipe: the script did not go on"

# 12d. A large output (80 MB, more than is ever read whole) is stored
# from its file and replayed as a stream.
printf ':\nhead -c 80000000 /dev/zero | tr "\\0" x\n' >big.sh
"$CAIRN" run big.sh >big1.out 2>/dev/null </dev/null
"$CAIRN" run big.sh 2>/dev/null </dev/null | cat >big2.out
expect_eq "large output: cached" "c c" "$(pattern 2)"
expect_eq "large output: size" 80000000 "$(stat -c %s big2.out)"
cmp -s big1.out big2.out || fail "large output: replay differs"
rm -f big1.out big2.out

# 12e. A step that could not create a file (its directory missing) and
# fell back: once the directory exists, it runs again and writes.
printf 'echo x > nodir/f.txt 2>/dev/null || echo fallback\n' >fb.sh
run_cairn run fb.sh
expect_eq "fallback: first run" "fallback" "$OUT"
rec @1 '[(x["path"], x["kind"]) for x in r["reads"] if x["path"] == "nodir"]' >fb.rec
expect_eq "fallback: the missing directory is a read" "[('nodir', 'absent')]" "$(cat fb.rec)"
mkdir nodir
run_cairn run fb.sh
expect_eq "fallback: not served once the directory exists" "r" "$(pattern 1)"
expect_eq "fallback: the file written" "x" "$(cat nodir/f.txt)"
expect_eq "fallback: no fallback" "" "$OUT"
rm -rf nodir fb.sh fb.rec
# The same for a creation that failed because something was there.
mkdir dd
printf 'mkdir dd 2>/dev/null || echo exists\n' >ex.sh
run_cairn run ex.sh
expect_eq "exists: first run" "exists" "$OUT"
rmdir dd
run_cairn run ex.sh
expect_eq "exists: not served once it is gone" "r" "$(pattern 1)"
[ -d dd ] || fail "exists: the directory was not made"
rm -rf dd ex.sh
# Permissions that were looked at: chmod makes the step run again.
printf 'echo hi\n' >perm.sh
chmod 644 perm.sh
printf '[ -x perm.sh ] && echo runnable || echo "not runnable"\n' >px.sh
run_cairn run px.sh
expect_eq "permissions: first run" "not runnable" "$OUT"
chmod 755 perm.sh
run_cairn run px.sh
expect_eq "permissions: not served after chmod" "r runnable" "$(pattern 1) $OUT"
run_cairn why @1
expect_match "permissions: why" "perm.sh: permissions changed" "$OUT"
rm -f perm.sh px.sh


# 12f. A project under $HOME (where most projects live): its writes are
# project writes, so the second run is served from the cache; a real
# write in $HOME still keeps a step out of it, and `why` says so.
phase "a project under \$HOME"
hp=$T_DIR/homedir/projects/p
mkdir -p "$hp/.cairn"
(
	cd "$hp" || exit 1
	export HOME=$T_DIR/homedir
	printf 'echo made > out.txt\ncat out.txt\n' >mk.sh
	"$CAIRN" run mk.sh >/dev/null 2>&1
	"$CAIRN" run mk.sh >/dev/null 2>&1
	pattern 4
	"$CAIRN" show @1 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["sandbox"]["home_writes"], r["writes"] if not r["cached"] else "")'
	printf 'echo x > "$HOME/.toolcache"\n' >hw.sh
	"$CAIRN" run hw.sh >/dev/null 2>&1
	"$CAIRN" why @1 2>&1
) >home.out 2>&1
expect_eq "home: the second run is served" "r r c c" "$(sed -n 1p home.out)"
expect_eq "home: no home writes recorded" "[] " "$(sed -n 2p home.out)"
expect_match "home: why names the home write" 'not cached: it wrote in \$HOME \(.*\.toolcache\)' \
	"$(cat home.out)"
[ -e "$hp/out.txt" ] || fail "home: out.txt not committed in the project"
# A project symlink into $HOME (data -> ~/datasets): writes through it land
# in $HOME's session layer, so the step is not stored (a hit would not
# bring the file back).
mkdir -p "$T_DIR/homedir/datasets"
ln -s "$T_DIR/homedir/datasets" "$hp/data"
(
	cd "$hp" || exit 1
	export HOME=$T_DIR/homedir
	printf 'echo hello > data/out.txt
cat data/out.txt
' >ln.sh
	"$CAIRN" run ln.sh 2>&1
	"$CAIRN" run ln.sh 2>&1
	"$CAIRN" why @2 2>&1
) >home2.out 2>&1
expect_eq "home link: both runs print the file" "hello hello" "$(grep -x hello home2.out | tr '\n' ' ' | sed 's/ $//')"
expect_match "home link: a home write, not stored" 'not cached: it wrote in \$HOME \(.*data/out\.txt\)' \
	"$(cat home2.out)"
rm -rf "$T_DIR/homedir" home.out home2.out

# 12g. A call whose arguments the recorder could not read (a bad path
# pointer) may hide an input: the step is recorded with lost_events and
# never served.
phase "lost events"
printf '%s\n' "python3 -c 'import ctypes; ctypes.CDLL(None).syscall(2, 1, 0)'; echo done" >lost.sh
run_cairn run lost.sh
run_cairn run lost.sh
expect_eq "lost: runs again" "r" "$(pattern 1)"
expect_eq "lost: counted in the record" "True" "$(rec @1 'r["sandbox"]["lost_events"] >= 1')"
run_cairn why @1
expect_match "lost: why says so" "not cached: the recorder could not read the arguments" "$OUT"
# A descriptor left open for later steps: why says that too.
printf 'exec 3>fd.txt\necho x >&3\n' >fd.sh
run_cairn run fd.sh
run_cairn why @2
expect_match "descriptors: why says so" "not cached: it left descriptors open" "$OUT"
rm -f lost.sh fd.sh fd.txt

# 12h. The script read by a program other than the shell (archived with
# the results) is a real input: after an edit of another line, the copy
# follows; a step that does not read it is still served.
phase "the script as a data input"
mkdir -p arch
printf 'cp "$0" arch/copy.sh\necho one\n' >keep.sh
run_cairn run keep.sh
run_cairn run keep.sh
printf 'cp "$0" arch/copy.sh\necho two\n' >keep.sh
run_cairn run keep.sh
expect_eq "script copy: the copy follows the script" "echo two" "$(tail -n 1 arch/copy.sh)"
expect_eq "script copy: the copying step ran again" "r r" "$(pattern 2)"
rm -rf arch keep.sh

# 12i. An input changed while the step ran (by something outside it):
# what the step read is not what the end-of-step hash says, so the step
# is not stored, the record and why say so, and the next run runs.
phase "an input changed while the step ran"
echo old >live.txt
printf 'cat live.txt; sleep 1\n' >live.sh
(sleep 0.4; echo new >live.txt) &
writer=$!
run_cairn run live.sh
wait "$writer"
expect_eq "changed while running: printed what it read" "old" "$OUT"
expect_eq "changed while running: in the record" "True" \
	"$(rec @1 'r["changed_while_running"] == ["live.txt"]')"
run_cairn why @1
expect_match "changed while running: why says so" "not cached: its input live.txt changed while it ran" "$OUT"
run_cairn run live.sh
expect_eq "changed while running: the next run runs" "new" "$OUT"
expect_eq "changed while running: not a hit" "r" "$(pattern 1)"
# Not only contents: a listing, a followed link, metadata, a path that
# appears -- each changed by something outside the step while it ran.
mkdir -p live.d && touch live.d/a
ln -sfn live.d live.link
for probe in 'ls live.d | wc -l; sleep 1@@touch live.d/b' \
	'cat live.link/a; sleep 1@@mkdir -p live2.d; echo new > live2.d/a; ln -sfn live2.d live.link' \
	'stat -c %s live.d/a; sleep 1@@echo grown > live.d/a' \
	'test -e live.d/c && echo there || echo absent; sleep 1@@touch live.d/c'; do
	body=${probe%%@@*}
	change=${probe#*@@}
	printf '%s\n' "$body" >live.sh
	(sleep 0.4; eval "$change") &
	writer=$!
	run_cairn run live.sh
	wait "$writer"
	first=$OUT
	expect_eq "changed while running ($body): in the record" "True" \
		"$(rec @1 'len(r.get("changed_while_running", [])) > 0')"
	run_cairn run live.sh
	expect_eq "changed while running ($body): the next run runs" "r" "$(pattern 1)"
	[ "$OUT" != "$first" ] || fail "changed while running ($body): the same output after the change: $OUT"
done
rm -rf live.d live2.d live.link live.sh

# A step run ahead of its turn (replay --jobs 2) that probed a directory
# the step before it commits into is still stored (the session's own
# commit is not a change from outside).
mkdir -p ahead && echo 1 >ahead/in1 && echo 2 >ahead/in2
printf 'sleep 0.3; cat ahead/in1 > ahead/a.txt; sleep 0.3\n[ -e ahead/b.aux ] || echo none > /dev/null; sleep 1; cat ahead/in2 > ahead/b.txt\n' >ahead.sh
run_cairn run ahead.sh
echo 11 >ahead/in1
echo 22 >ahead/in2
run_cairn replay --jobs 2 ahead.sh
run_cairn replay --jobs 2 ahead.sh
expect_eq "a step run ahead: stored, so served next time" "c c" "$(pattern 2)"
rm -rf ahead ahead.sh

# The previous step's output read at once is not "changed".
printf 'echo a > fresh.txt\ncat fresh.txt > copy.txt\n' >fresh.sh
run_cairn run fresh.sh
run_cairn run fresh.sh
expect_eq "output read by the next step: both served" "c c" "$(pattern 2)"
rm -f live.txt live.sh fresh.sh fresh.txt copy.txt

# 12j. Descriptors cairn's caller opened: what goes through them is not
# traced, so a step that wrote or read through one is not stored (a hit
# would not write the log line again, as bash does), one that left them
# alone is; a pipe is never known to be left alone.
phase "descriptors from cairn's caller"
printf 'echo hi >&4\necho done\n' >fdw.sh
run_cairn run fdw.sh 4>>fd.log
run_cairn run fdw.sh 4>>fd.log
expect_eq "inherited fd: the log has a line per run, as under bash" "hi hi" "$(tr '\n' ' ' <fd.log | sed 's/ $//')"
expect_eq "inherited fd: the writing step ran, the other was served" "r c" "$(pattern 2)"
run_cairn why @2
expect_match "inherited fd: why says so" "not cached: it wrote through descriptor 4" "$OUT"
printf 'a\nb\n' >fd.in
printf 'read -r x <&3; echo "got $x"\n' >fdr.sh
run_cairn run fdr.sh 3<fd.in
run_cairn run fdr.sh 3<fd.in
expect_eq "inherited fd read: ran again" "got a r" "$OUT $(pattern 1)"
run_cairn why @1
expect_match "inherited fd read: why says so" "not cached: descriptor 3, a file cairn's caller opened for reading, is open" "$OUT"
# Reads that move nothing (pread, mmap, listing a directory descriptor)
# leave no mark: a file or directory open for reading keeps steps out.
printf 'python3 -c "import os; print(os.pread(3, 2, 0).decode().strip())"\n' >fdpr.sh
run_cairn run fdpr.sh 3<fd.in
printf 'z\n' >fd.in
run_cairn run fdpr.sh 3<fd.in
expect_eq "inherited fd pread: the new content" "z r" "$OUT $(pattern 1)"
mkdir -p fd.dir && touch fd.dir/one
printf 'ls /proc/self/fd/3/ | wc -l\n' >fdls.sh
run_cairn run fdls.sh 3<fd.dir
touch fd.dir/two
run_cairn run fdls.sh 3<fd.dir
expect_eq "inherited directory fd: listed again" "2 r" "$OUT $(pattern 1)"
printf 'echo p >&4\n' >fdp.sh
for i in 1 2; do "$CAIRN" run fdp.sh 4> >(cat >>fd.piped) </dev/null; done
sleep 0.5
expect_eq "inherited pipe: written by every run" "p p" "$(tr '\n' ' ' <fd.piped | sed 's/ $//')"
printf 'echo quiet\n' >fdq.sh
run_cairn run fdq.sh 4>>fd.log 5>/dev/null 6</dev/null
run_cairn run fdq.sh 4>>fd.log 5>/dev/null 6</dev/null
expect_eq "inherited fds left alone: served" "quiet c" "$OUT $(pattern 1)"
rm -rf fdw.sh fd.log fd.in fdr.sh fdp.sh fd.piped fdq.sh fdpr.sh fdls.sh fd.dir

# 13. cache stats count the hits.
run_cairn cache stats --json
expect_eq "stats: hits counted" "True" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["cached_steps"] > 20 and 0 < d["hit_rate"] < 1)')"

git --git-dir .cairn/lineage.git fsck --strict >/dev/null 2>&1 || fail "git fsck"
done_testing
