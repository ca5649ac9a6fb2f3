# ctest-labels: slow
# Reuse where users expect it (docs/cache.md, "What is in a key"): a
# script renamed, another front end (-c, standard input), another
# terminal, machine, login or batch job is served from the cache; a
# variable a step uses still counts; the session keeps its own
# per-machine variables after a hit; .cairn/config adjusts the list.
. "$TEST_SRC/test/integration/lib.sh"

pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}

printf 'pear\napple\nfig\n' >a.txt
cat >p.sh <<'EOF'
sort a.txt > sorted.txt
tr a-z A-Z < sorted.txt > upper.txt
python3 -c 'import os; print("task", os.environ.get("SLURM_ARRAY_TASK_ID", "-"))' > task.txt
echo "term=$TERM" > term.txt
cat upper.txt task.txt; echo "to stderr" >&2
EOF

# What a plain bash prints and leaves, to compare with every run.
mkdir ref
cp a.txt p.sh ref/
(cd ref && bash p.sh >out 2>err)

check_run() { # WHAT: outputs as bash's (TERM as given to this run)
	expect_eq "$1: stdout" "$(cat ref/out)" "$(cat out)"
	expect_eq "$1: stderr" "$(cat ref/err)" "$(cat err)"
	expect_eq "$1: upper.txt" "$(cat ref/upper.txt)" "$(cat upper.txt)"
}

TERM=xterm "$CAIRN" run p.sh >out 2>err </dev/null
expect_eq "first run" "r r r r r" "$(pattern 5)"
check_run "first run"

# 1. The script renamed: all hits.
cp p.sh renamed.sh
TERM=xterm "$CAIRN" run renamed.sh >out 2>err </dev/null
got=$(pattern 5)
if [ "$got" != "c c c c c" ]; then
	# Say why a step ran (a flake once: "c c r c c"): what the first
	# run stored and what the lookup found.
	for i in 5 4 3 2 1; do "$CAIRN" why "@$i" >&2 || true; done
	"$CAIRN" log -n 10 >&2 || true
fi
expect_eq "renamed script" "c c c c c" "$got"
check_run "renamed script"

# 2. Another machine, terminal and job: all hits but the step that
# names $TERM; the session then has this run's values.
TERM=vt100 HOSTNAME=elsewhere SSH_CONNECTION="10.0.0.1 5 10.0.0.2 22" SLURM_JOB_ID=42 \
	"$CAIRN" run p.sh >out 2>err </dev/null
expect_eq "other machine: only the step using TERM runs" "c c c r c" "$(pattern 5)"
check_run "other machine"
expect_eq "the TERM step ran with this TERM" "term=vt100" "$(cat term.txt)"
printf 'sort a.txt > sorted.txt\necho "$TERM $SSH_CONNECTION" > seen.txt\n' >seen.sh
TERM=xterm "$CAIRN" run seen.sh </dev/null
TERM=screen SSH_CONNECTION=now "$CAIRN" run seen.sh </dev/null
expect_eq "after a hit, the session's own TERM and SSH_CONNECTION" "screen now" "$(cat seen.txt)"
expect_eq "seen.sh: the hit, then the step using them" "c r" "$(pattern 2)"
run_cairn why @1
expect_match "why names the variable" "TERM" "$OUT"

# 3. An array task index is an input even when no step names it (the
# python step reads it from its environment): in every key.
SLURM_ARRAY_TASK_ID=7 TERM=xterm "$CAIRN" run p.sh >out 2>err </dev/null
expect_eq "array task changed: every step runs" "r r r r r" "$(pattern 5)"
expect_eq "task read" "task 7" "$(cat task.txt)"

# 4. A variable the step sets itself stays as it set it (a sourced
# file exporting TMPDIR), on a hit as on a run.
printf 'export TMPDIR=/from-env-file\n' >env.sh
printf '. ./env.sh\necho "tmp=$TMPDIR"\n' >src.sh
TMPDIR=/tmp "$CAIRN" run src.sh >o1 </dev/null
TMPDIR=/var/tmp "$CAIRN" run src.sh >o2 </dev/null
# (Sourcing may reach any variable: that step keeps them all in its key.)
expect_eq "sourcing: the sourcing step runs, the next is served" "r c" "$(pattern 2)"
expect_eq "the variable the step set" "tmp=/from-env-file" "$(cat o2)"

# 5. The shell's messages name the script: such a step is not served to
# a script of another name (its message would name the old one).
printf 'echo start > st.txt\nnosuchcmd_x; true\n' >m1.sh
cp m1.sh m2.sh
"$CAIRN" run m1.sh 2>/dev/null </dev/null
"$CAIRN" run m2.sh 2>m2.err </dev/null
expect_eq "message naming the script: runs" "c r" "$(pattern 2)"
expect_match "its message names m2.sh" "^m2.sh: line 2: nosuchcmd_x" "$(cat m2.err)"
printf 'echo "I am $0" > me.txt\n' >n1.sh
cp n1.sh n2.sh
"$CAIRN" run n1.sh </dev/null
"$CAIRN" run n2.sh </dev/null
expect_eq "\$0 used: runs" "r" "$(pattern 1)"
expect_eq "\$0" "I am n2.sh" "$(cat me.txt)"

# 6. One cache for every front end: -c, a script, standard input.
"$CAIRN" -c 'sort -r a.txt > rev.txt' </dev/null
printf 'sort -r a.txt > rev.txt\n' >rev.sh
rm rev.txt
"$CAIRN" run rev.sh </dev/null
expect_eq "script after -c: served" "c" "$(pattern 1)"
expect_eq "its output restored" "pear fig apple" "$(tr '\n' ' ' <rev.txt | sed 's/ $//')"
echo 'sort -r a.txt > rev.txt' | "$CAIRN"
expect_eq "standard input after a script: served" "c" "$(pattern 1)"

# 7. .cairn/config: cache.ignoreEnv adds, cache.keyEnv takes back.
git config --file .cairn/config --add cache.ignoreEnv 'MYTOOL_*'
git config --file .cairn/config --add cache.keyEnv TERM
printf 'sort a.txt > s7.txt\n' >c7.sh
MYTOOL_HOST=a TERM=xterm "$CAIRN" run c7.sh </dev/null
MYTOOL_HOST=b TERM=xterm "$CAIRN" run c7.sh </dev/null
expect_eq "ignored by config: served" "c" "$(pattern 1)"
MYTOOL_HOST=b TERM=vt220 "$CAIRN" run c7.sh </dev/null
expect_eq "kept by config: runs" "r" "$(pattern 1)"

# 8. A bad pattern is a clear error, and nothing runs.
git config --file .cairn/config --add cache.ignoreEnv 'BAD NAME'
n_before=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
run_cairn -c 'echo ran > bad.txt'
expect_eq "bad pattern: status" 125 "$RC"
expect_match "bad pattern: message" "cache.ignoreEnv: 'BAD NAME' is not a pattern of variable names" "$ERR"
[ -e bad.txt ] && fail "a step ran despite the bad pattern"
git config --file .cairn/config --unset cache.ignoreEnv 'BAD NAME'
n_after=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "no step recorded" "$n_before" "$n_after"

# 9. What reaches a variable without its name keeps every variable in
# the key; so does what reaches $0 without writing it.  (Found by review:
# each was served with the old value.)
mkdir -p dA dB
printf 'echo "lib sees $TERM"\n' >lib.sh
printf 'export TMPDIR=%s/dA\n' "$T_DIR" >setA.sh
cat >dyn.sh <<'EOF2'
. ./lib.sh > o1.txt
v=TERM
echo "via v: ${!v}" > o2.txt
declare -n t=TMPDIR
echo "scratch $t" > o3.txt
export -p | grep SSH_X > o4.txt; true
. ./setA.sh
echo "tmp=$TMPDIR" > o5.txt
f() { caller 0; }; f > o6.txt
echo "at: ${@:0:1}" > o7.txt
nosuchcmd_y 2> o8.txt; true
echo "flags=$-" > o9.txt
EOF2
# run_dyn P TERM TMPDIR SSH_X SCRIPT: cairn runs SCRIPT; its P?.txt files
run_dyn() {
	rm -f "$1"?.txt
	TERM=$2 TMPDIR=$3 SSH_X=$4 "$CAIRN" run "$5" </dev/null >/dev/null 2>&1
	cat "$1"?.txt
}
# ref_dyn P TERM TMPDIR SSH_X SCRIPT: the same with bash, in a directory
# of its own
ref_dyn() {
	(rm -rf "ref$1" && mkdir "ref$1" && cp lib.sh setA.sh "$5" "ref$1/" && cd "ref$1" &&
		TERM=$2 TMPDIR=$3 SSH_X=$4 bash "$5" >/dev/null 2>&1 && cat "$1"?.txt)
}
run_dyn o xterm "$T_DIR/dA" 1 dyn.sh >/dev/null
cp dyn.sh dyn2.sh
expect_match "the probes print (bash)" "lib sees vt100" "$(ref_dyn o vt100 "$T_DIR/dB" 2 dyn2.sh)"
expect_eq "computed names, another machine and name: as bash" \
	"$(ref_dyn o vt100 "$T_DIR/dB" 2 dyn2.sh)" "$(run_dyn o vt100 "$T_DIR/dB" 2 dyn2.sh)"
expect_eq "sourcing: the variable the sourced file set" "tmp=$T_DIR/dA" "$(cat o5.txt)"
cat >dyn3.sh <<'EOF2'
command . ./lib.sh > p1.txt
case y in y) . ./lib.sh > p2.txt;; esac
export | grep SSH_X > p3.txt; true
set 2>/dev/null | grep ^SSH_X= > p4.txt; true
x='$TERM'
echo "${x@P}" > p5.txt
declare -n t=TMPDIR
echo "$t" > p6.txt
echo "at: ${@: 0:1}" > p7.txt
shopt -s expand_aliases; alias src='source'
src ./lib.sh > p8.txt
EOF2
run_dyn p xterm "$T_DIR/dA" 1 dyn3.sh >/dev/null
cp dyn3.sh dyn4.sh
expect_match "the probes print (bash)" "lib sees vt100" "$(ref_dyn p vt100 "$T_DIR/dB" 2 dyn4.sh)"
expect_eq "more computed names (second review): as bash" \
	"$(ref_dyn p vt100 "$T_DIR/dB" 2 dyn4.sh)" "$(run_dyn p vt100 "$T_DIR/dB" 2 dyn4.sh)"
"$CAIRN" -c $'f(){ echo "${FUNCNAME[*]}" > fn.txt; }\nf' </dev/null
printf 'f(){ echo "${FUNCNAME[*]}" > fn.txt; }\nf\n' >fn.sh
"$CAIRN" run fn.sh </dev/null
expect_eq "FUNCNAME differs between -c and a script" "f main" "$(cat fn.txt)"
"$CAIRN" -c 'echo "flags=$-" > flags.txt' </dev/null
printf 'echo "flags=$-" > flags.txt\n' >flags.sh
"$CAIRN" run flags.sh </dev/null
expect_eq "\$- differs between -c and a script" "flags=hB" "$(cat flags.txt)"

# 10. A session's first step, served under another SHLVL or TERM: the
# session has what bash makes of its own environment.
printf 'sort a.txt > s10.txt\necho "shlvl=$SHLVL term=${TERM-unset}" > sh.txt\n' >s10.sh
SHLVL=5 TERM=xterm "$CAIRN" run s10.sh </dev/null
SHLVL=1 TERM=xterm "$CAIRN" run s10.sh </dev/null
expect_eq "SHLVL after a first-step hit" "shlvl=2 term=xterm" "$(cat sh.txt)"
env -u TERM SHLVL=1 "$CAIRN" run s10.sh </dev/null
expect_eq "TERM unset: bash's dumb" "shlvl=2 term=dumb" "$(cat sh.txt)"
expect_eq "TERM unset: the first step runs (bash sets TERM as it starts)" "r" \
	"$("$CAIRN" log --json -n 2 | python3 -c '
import json, sys
print("c" if json.load(sys.stdin)[1]["cached"] else "r")')"

# A variable the first run had and this session has not: served (bash
# gives it no value of its own); an OLDPWD naming no directory, which
# bash drops: not served, and the step sees it unset as under bash.
printf 'sort a.txt > s10b.txt\necho "ssh=${SSH_CONNECTION-unset} old=${OLDPWD-unset}" > sh2.txt\n' >s10b.sh
SSH_CONNECTION="1 2 3 4" OLDPWD=/tmp "$CAIRN" run s10b.sh </dev/null
env -u SSH_CONNECTION OLDPWD=/tmp "$CAIRN" run s10b.sh </dev/null
expect_eq "absent now: first step served" "c" \
	"$("$CAIRN" log --json -n 2 | python3 -c '
import json, sys
print("c" if json.load(sys.stdin)[1]["cached"] else "r")')"
expect_eq "absent now: the session has it unset" "ssh=unset old=/tmp" "$(cat sh2.txt)"
env -u SSH_CONNECTION OLDPWD=/nonexistent-dir "$CAIRN" run s10b.sh </dev/null
expect_eq "OLDPWD naming no directory: as bash" "ssh=unset old=unset" "$(cat sh2.txt)"

# 11. A control character in a variable no key holds: the same
# environment twice is still a hit.
SSH_X=$'a\tb' "$CAIRN" run s10.sh </dev/null
SSH_X=$'a\tb' "$CAIRN" run s10.sh </dev/null
expect_eq "control character, same environment: first step served" "c" \
	"$("$CAIRN" log --json -n 2 | python3 -c '
import json, sys
print("c" if json.load(sys.stdin)[1]["cached"] else "r")')"

# 12. cd sets OLDPWD from PWD (in the key) and reads it only for `cd -`:
# the caller's OLDPWD does not keep a cd step from being served, and the
# session then has what bash would set; `cd -` reads it.
mkdir -p d12
printf 'cd d12\necho "old=$OLDPWD" > ../o12.txt\ncd -\n' >c12.sh
OLDPWD=/usr "$CAIRN" run c12.sh >/dev/null </dev/null
OLDPWD=/var "$CAIRN" run c12.sh >o12.out </dev/null
expect_eq "cd: served whatever the caller's OLDPWD (cd - reads the one cd set)" "c c c" "$(pattern 3)"
expect_eq "cd: the OLDPWD bash sets" "old=$T_DIR" "$(cat o12.txt)"
expect_eq "cd -: prints where it goes, as bash" "$T_DIR" "$(cat o12.out)"

# An operand that may come out as - (cd $x, cd -- -, "cd" -, a command
# named through a variable) reads OLDPWD: in the key (a review found
# the session left in the old run's directory).
for form in 'cd $x' 'cd -- -' '"cd" -' 'c=cd; $c -'; do
	printf 'x=-\n%s >/dev/null\npwd > %s/w13.txt\n' "$form" "$T_DIR" >c13.sh
	OLDPWD=/usr "$CAIRN" run c13.sh </dev/null
	OLDPWD=/var "$CAIRN" run c13.sh </dev/null
	expect_eq "[$form] with another OLDPWD goes there, as bash" "/var" "$(cat w13.txt)"
done

done_testing
