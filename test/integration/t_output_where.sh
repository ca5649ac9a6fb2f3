# ctest-labels: slow
# Where output goes is in no key (docs/cache.md): a step recorded with
# its output in files is served to a run with 2>&1 or in a terminal, and
# a terminal's width matters only to a step that asked for it, as long
# as the step could not tell the difference (it did not ask whether its
# output is a terminal) and the replay is exact (a step that wrote both
# streams apart is not replayed into one).  Each run's output is compared
# with bash's in the same arrangement; terminals are tmux panes of their
# own server.
. "$TEST_SRC/test/integration/lib.sh"

command -v tmux >/dev/null || {
	echo "t_output_where: no tmux; skipped" >&2
	exit 0
}
mkdir -p .cairn
cat >p.sh <<'EOF'
echo out-only
echo err-only >&2
/usr/bin/python3 -c 'print("py")'
ls -d /usr
echo both; echo both-err >&2
tput cols
/usr/bin/python3 -c 'import sys; print(sys.stdout.isatty())'
echo end
EOF

pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}

sock=cairn-t-output-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null' EXIT
# in_pane WIDTH NAME CMD: run CMD in a fresh pane WIDTH columns wide,
# wait for it, and leave the pane's text in NAME.pane
in_pane() {
	local i
	rm -f "$2.done"
	tmux -L "$sock" new-session -d -s "$2" -x "$1" -y 40 \
		"cd '$PWD' && $3 </dev/null; touch '$2.done'; sleep 600"
	for i in $(seq 1 300); do
		[ -e "$2.done" ] && break
		sleep 0.1
	done
	tmux -L "$sock" capture-pane -p -t "$2" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$2.pane"
	tmux -L "$sock" kill-session -t "$2"
}

# Every run, into files too, from a tmux pane: tmux's panes start with
# SIGTTIN and SIGTTOU ignored, which a step's state holds (its traps).
# 1. Into files: every step runs.
in_pane 80 f1 "$CAIRN run p.sh >o1 2>e1"
expect_eq "files" "r r r r r r r r" "$(pattern 8)"
in_pane 80 fb1 "bash p.sh >b1 2>be1"
expect_eq "files: stdout as bash" "$(cat b1)" "$(cat o1)"
expect_eq "files: stderr as bash" "$(cat be1)" "$(cat e1)"

# 2. Merged into one file: served but the step that wrote both streams.
in_pane 80 f2 "$CAIRN run p.sh >o2 2>&1"
expect_eq "2>&1" "c c c c r c c c" "$(pattern 8)"
in_pane 80 fb2 "bash p.sh >b2 2>&1"
expect_eq "2>&1: output as bash, in order" "$(cat b2)" "$(cat o2)"
run_cairn why @4
expect_match "why of the step with both streams" "wrote both output and error" "$OUT"

# 3. A terminal 80 wide: the steps that asked whether their output is a
# terminal run (ls, tput, Python's isatty()); Python's own question as
# it starts does not count.
in_pane 80 t80 "$CAIRN run p.sh"
expect_eq "terminal 80" "c c c r c r r c" "$(pattern 8)"
in_pane 80 b80 "bash p.sh"
expect_eq "terminal 80: as bash" "$(cat b80.pane)" "$(cat t80.pane)"
run_cairn why @5
expect_match "why of ls" "asked whether its output is a terminal" "$OUT"

# 4. A terminal 120 wide: only the steps that asked for the size run.
in_pane 120 t120 "$CAIRN run p.sh"
expect_eq "terminal 120" "c c c r c r c c" "$(pattern 8)"
in_pane 120 b120 "bash p.sh"
expect_eq "terminal 120: as bash" "$(cat b120.pane)" "$(cat t120.pane)"
grep -qx 120 t120.pane || fail "terminal 120: tput does not say 120: $(cat t120.pane)"
run_cairn why @3
expect_match "why of tput" "asked the terminal's size" "$OUT"

# 5. Back into files: all served (each arrangement has its candidate).
in_pane 80 f5 "$CAIRN run p.sh >o5 2>e5"
expect_eq "files again" "c c c c c c c c" "$(pattern 8)"
expect_eq "files again: stdout" "$(cat b1)" "$(cat o5)"
expect_eq "files again: stderr" "$(cat be1)" "$(cat e5)"

done_testing
