#!/bin/bash
# The interactive shell, driven through tmux: state across lines, PS2
# continuation, Ctrl-C interrupting a step but not cairn, in-process
# `cairn` lines, tab completion, history, and the exit status.
. "$TEST_SRC/test/integration/lib.sh"

if ! command -v tmux >/dev/null; then
	echo "t_repl: tmux not installed, skipped"
	exit 0
fi
sock="$T_DIR/tmux.sock"
# tmux runs the pane's command with the user's login shell, which for a
# system account such as nobody is nologin; bash, which (unlike dash)
# survives a Ctrl-C that its foreground child survives.
export SHELL=/bin/bash
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$T_DIR"' EXIT
mkdir home
tm new-session -d -s r -x 150 -y 50 \
	"cd '$T_DIR' && HOME='$T_DIR/home' XDG_STATE_HOME= NO_COLOR=1 '$CAIRN'; echo \"rc=\$?\" > '$T_DIR/rc'; sleep 5"

# wait_for TEXT: until the screen shows TEXT
wait_for() { tmux_wait "$sock" r "$1"; }
type_line() { tm send-keys -t r -l -- "$1"; tm send-keys -t r Enter; }

wait_for 'cairn:'
type_line 'x=42; mkdir -p sub; cd sub'
wait_for '[step 1'
type_line 'echo "x=$x in ${PWD##*/}"'
wait_for 'x=42 in sub'
type_line 'for i in 1 2'
for i in $(seq 300); do tm capture-pane -t r -p | grep -qx '>' && break; sleep 0.1; done
tm capture-pane -t r -p | grep -qx '>' || fail "no PS2 prompt for an unfinished for loop"
type_line 'do echo "item $i"; done'
wait_for 'item 2'
type_line 'sleep 31.25; echo not-reached'
# Ctrl-C once the step's sleep runs, however loaded the machine.
for i in $(seq 300); do pgrep -f '^sleep 31.25$' >/dev/null && break; sleep 0.1; done
sleep 0.2
tm send-keys -t r C-c
wait_for 'interrupted'
type_line 'echo "still here x=$x st=$?"'
wait_for 'still here x=42 st=130'
# Ctrl-C at the prompt drops what was typed (an unfinished command too);
# what is typed next runs, and $? is 130, as in bash.
tm send-keys -t r -l 'echo "unfinished'
tm send-keys -t r Enter
for i in $(seq 300); do tm capture-pane -t r -p | grep -qx '>' && break; sleep 0.1; done
tm send-keys -t r C-c
type_line 'echo "after ctrl-c st=$?"'
wait_for 'after ctrl-c st=130'
tm send-keys -t r -l 'half typed'
tm send-keys -t r C-c
type_line 'echo next-$((1 + 1))-runs'
wait_for 'next-2-runs'
# Aliases are expanded, as in an interactive bash.
type_line "alias greet='echo hello-\$((6 * 7))'"
wait_for '[step'
type_line 'greet'
wait_for 'hello-42'
# A syntax error: nothing runs, $? is 2.
type_line 'fi'
wait_for "syntax error near unexpected token"
type_line 'echo "after syntax error st=$?"'
wait_for 'after syntax error st=2'
type_line 'cairn --version'
wait_for 'cairn 0.'
tm send-keys -t r -l 'ech'
tm send-keys -t r Tab
tm send-keys -t r -l 'o-completed'
tm send-keys -t r Enter
wait_for 'o-completed'
type_line 'exit 3'
for i in $(seq 300); do [ -s rc ] && break; sleep 0.1; done
expect_eq "exit status of the REPL" "rc=3" "$(cat rc 2>/dev/null)"
screen=$(tm capture-pane -t r -p -S -200)
printf '%s\n' "$screen" | grep -qx 'not-reached' && fail "interrupted step went on"
hist=$(cat home/.local/state/cairn/history 2>/dev/null)
expect_match "history file" 'echo "x=\$x in \$\{PWD##\*/\}"' "$hist"
expect_match "history has the last line" 'exit 3' "$hist"

# One cache for the REPL and scripts (docs/cache.md): lines typed in the
# REPL, then the same lines as a script run in a terminal, are served
# (but the REPL's first step, whose shell starts otherwise); and the
# reverse keeps the REPL's aliases working after a hit.
mkdir -p one
printf 'pear\napple\n' >one/a.txt
printf 'cd one\nsort a.txt > s.txt\ntr a-z A-Z < s.txt\n' >lines.sh
tm new-session -d -s q -x 150 -y 50 \
	"cd '$T_DIR' && HOME='$T_DIR/home' XDG_STATE_HOME= NO_COLOR=1 '$CAIRN'; sleep 600"
tmux_wait "$sock" q 'cairn:'
for l in 'cd one' 'sort a.txt > s.txt' 'tr a-z A-Z < s.txt'; do
	tm send-keys -t q -l -- "$l"
	tm send-keys -t q Enter
done
tmux_wait "$sock" q 'PEAR'
tm send-keys -t q -l -- 'exit'
tm send-keys -t q Enter
tm new-session -d -s q2 -x 150 -y 50 \
	"cd '$T_DIR' && HOME='$T_DIR/home' XDG_STATE_HOME= NO_COLOR=1 '$CAIRN' run lines.sh; echo script-done; sleep 600"
tmux_wait "$sock" q2 'script-done'
expect_match "the script printed as the REPL did" 'PEAR' "$(tm capture-pane -t q2 -p)"
expect_eq "REPL lines, then a script: served but the first" "r c c" "$("$CAIRN" log --json -n 3 | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))')"

# The reverse: the REPL served what the script computed still expands
# its aliases after the hit.
tm new-session -d -s q3 -x 150 -y 50 \
	"cd '$T_DIR' && HOME='$T_DIR/home' XDG_STATE_HOME= NO_COLOR=1 '$CAIRN'; sleep 600"
tmux_wait "$sock" q3 'cairn:'
for l in 'cd one' 'sort a.txt > s.txt' "alias hi='echo alias-still-expands'" 'hi'; do
	tm send-keys -t q3 -l -- "$l"
	tm send-keys -t q3 Enter
done
tmux_wait "$sock" q3 'alias-still-expands'
tm send-keys -t q3 -l -- 'exit'
tm send-keys -t q3 Enter
for i in $(seq 100); do pgrep -f "^$CAIRN\$" >/dev/null || break; sleep 0.1; done
expect_eq "the REPL's sort step was served" "c" "$("$CAIRN" log --json -n 10 | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["command"] == "sort a.txt > s.txt"]
print("c" if s and s[0]["cached"] else "r")')"

done_testing
