#!/bin/bash
# ctest-labels: security
# Ctrl-C (SIGINT to the foreground process group) in `cairn run`: a step
# killed by it ends cairn the same way bash ends, and a SIGINT that was
# ignored when cairn started stays ignored in its steps, as in bash.
. "$TEST_SRC/test/integration/lib.sh"

printf 'echo start\nsleep 3\necho after\n' > int.sh

# interrupt SHELL...: run it in its own process group, SIGINT the group
# once the script is in its `sleep` (it has printed "start"; however
# loaded the machine), print the exit status and what it printed.
interrupt() {
	local i
	: >int.out
	setsid "$@" > int.out 2>&1 &
	local p=$!
	for i in $(seq 300); do
		grep -q start int.out && break
		sleep 0.1
	done
	sleep 0.3
	kill -INT -- -"$p" 2>/dev/null
	wait "$p"
	echo "rc=$? $(tr '\n' ' ' < int.out)"
}

# perl restores SIGINT's default disposition (a background job of a
# non-interactive shell starts with it ignored).
if command -v perl >/dev/null; then
	dfl=(perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die')
	want=$(interrupt "${dfl[@]}" bash int.sh)
	got=$(interrupt "${dfl[@]}" "$CAIRN" run int.sh)
	expect_eq "SIGINT ends the script as under bash" "$want" "$got"
	expect_match "SIGINT: killed by the signal" '^rc=130 start $' "$got"
fi

want=$(interrupt bash int.sh)
got=$(interrupt "$CAIRN" run int.sh)
expect_eq "ignored SIGINT stays ignored, as under bash" "$want" "$got"
expect_match "ignored SIGINT: the script went on" '^rc=0 start after $' "$got"

# A step is a process group of its own: `kill 0` in it reaches the step
# only, not cairn nor the script that runs cairn (under bash, the script
# itself dies of the signal: 138).
phase "kill 0 in a step"
printf '%s\n' "\"$CAIRN\" -c 'kill -USR1 0; echo not-reached'" 'echo "outer survived $?"' >outer.sh
got=$(setsid bash outer.sh 2>&1 </dev/null)
expect_eq "kill -USR1 0 in a step reaches the step only" "outer survived 138" "$got"
S_PG=$("$CAIRN" -c 'ps -o pgid= -p $$' </dev/null 2>/dev/null | tr -d ' ')
expect_eq "the step's processes are a group of their own (pid 1's)" 1 "$S_PG"

# A step that stops its own shell (`kill -STOP $$`) with no terminal to
# give back stays stopped, as bash would, until something continues it:
# `kill -CONT` of cairn is passed on and the step finishes.  (cairn took
# the stop for the end of the shell's dump and then waited for ever.)
phase "kill -STOP \$\$ without a terminal"
: >stop.out
setsid "$CAIRN" -c 'echo before; kill -STOP $$; echo after' >stop.out 2>&1 </dev/null &
stop_pid=$!
for i in $(seq 300); do grep -q before stop.out && break; sleep 0.1; done
sleep 1
expect_eq "kill -STOP \$\$: the step waits" "before" "$(cat stop.out)"
kill -CONT "$stop_pid"
for i in $(seq 300); do kill -0 "$stop_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$stop_pid" 2>/dev/null; then
	kill -KILL "$stop_pid"
	fail "kill -STOP \$\$: cairn still waits after kill -CONT"
fi
wait "$stop_pid"
stop_rc=$?
expect_eq "kill -STOP \$\$: continued, the step ends" "rc=0 before after" \
	"rc=$stop_rc $(tr '\n' ' ' <stop.out | sed 's/ $//')"

# On a terminal the step is the foreground job: Ctrl-C reaches the step,
# not the shell that started cairn (dash here, which dies of a SIGINT its
# child survives), and an interactive program in a step reads the
# terminal.  The terminal is tmux's, the test's own.
if command -v tmux >/dev/null; then
	phase "terminal job control (tmux)"
	sock="$T_DIR/tmux.sock"
	tm() { tmux -S "$sock" "$@"; }
	sock2="$T_DIR/tmux2.sock"
	trap 'tm kill-server 2>/dev/null; tmux -S "$sock2" kill-server 2>/dev/null; rm -rf "$T_DIR"' EXIT
	mkdir -p home
	cat >pane.sh <<PANE
cd '$T_DIR' || exit 1
HOME='$T_DIR/home' NO_COLOR=1 '$CAIRN'
echo "rc=\$?" >'$T_DIR/rc'
sleep 5
PANE
	SHELL=/bin/bash tm new-session -d -s j -x 120 -y 40 "exec dash '$T_DIR/pane.sh'"
	wait_screen() { tmux_wait "$sock" j "$1"; }
	line() { tm send-keys -t j -l -- "$1"; tm send-keys -t j Enter; }
	wait_screen 'cairn:'
	line 'sleep 61.25; echo not-reached'
	for i in $(seq 300); do pgrep -f '^sleep 61.25$' >/dev/null && break; sleep 0.1; done
	sleep 0.2
	tm send-keys -t j C-c
	wait_screen 'interrupted'
	line 'read -r a; echo "got [$a]"'
	sleep 1
	line 'typed-at-the-terminal'
	wait_screen 'got [typed-at-the-terminal]'
	line "python3 -c 'print(\"py got\", input())'"
	sleep 1
	line 'more-typing'
	wait_screen 'py got more-typing'
	line 'exit 4'
	for i in $(seq 300); do [ -s rc ] && break; sleep 0.1; done
	expect_eq "the shell around cairn survived Ctrl-C; cairn's status" "rc=4" "$(cat rc 2>/dev/null)"
	tm kill-server 2>/dev/null

	# cairn's input is not the terminal, but the step asks the terminal
	# itself (a password prompt): it is the foreground of cairn's
	# controlling terminal all the same.  And cairn started as a
	# background job of an interactive shell: after `fg`, the step
	# reads the terminal.
	phase "terminal: /dev/tty with a pipe as input; bg and fg"
	# A server of its own: a new session on the socket of a server
	# still exiting after kill-server dies with it ("server exited
	# unexpectedly"), as it did on a loaded machine.
	sock=$sock2
	SHELL=/bin/bash tm new-session -d -s k -x 120 -y 40 \
		"cd '$T_DIR' && HOME='$T_DIR/home' PS1='PS> ' exec bash --norc -i"
	wait_k() { tmux_wait "$sock" k "$1"; }
	linek() { tm send-keys -t k -l -- "$1"; tm send-keys -t k Enter; }
	wait_k 'PS>'
	linek "echo data | '$CAIRN' -c 'echo ask; read -rs pw </dev/tty; echo \"pw has \${#pw} chars\"'"
	wait_k 'ask'
	sleep 0.5
	linek 'secret'
	wait_k 'pw has 6 chars'
	linek "'$CAIRN' -c 'echo started; sleep 1; read -r a; echo \"got=\$a\"' &"
	wait_k 'started'
	sleep 1.5
	linek 'fg'
	sleep 1
	linek 'hello'
	wait_k 'got=hello'
	# The step stopped (Ctrl-Z, `kill -STOP $$`): cairn's job stops with
	# it, the interactive shell says so and takes the terminal; its `fg`
	# gives the step the terminal again and continues it.
	linek "'$CAIRN' -c 'echo s1; kill -STOP \$\$; echo resumed-1'"
	wait_k 'Stopped'
	linek 'fg'
	wait_k 'resumed-1'
	linek "'$CAIRN' -c 'echo s2; sleep 2; read -r b; echo resumed-2=\$b'"
	wait_k 's2'
	sleep 0.5
	tm send-keys -t k C-z
	wait_k 'Stopped'
	linek 'fg'
	sleep 3
	linek 'typed'
	wait_k 'resumed-2=typed'
	# cairn killed (SIGKILL) while a step has the terminal: the terminal
	# comes back to the script that ran cairn, which reads it.  (It used
	# to stay with the dead step's group: the read stopped the script.)
	cat >outer.sh <<OUTER
'$CAIRN' -c 'echo inner-running; sleep 60' &
echo \$! >'$T_DIR/cairn.pid'
wait \$!
echo "cairn ended rc=\$?"
sleep 1 # the keeper gives the terminal back as cairn's end is seen
read -r x
echo "script read [\$x]"
OUTER
	: >cairn.pid
	linek "bash outer.sh"
	wait_k 'inner-running'
	sleep 0.5
	kill -KILL "$(cat cairn.pid)"
	wait_k 'cairn ended rc=137'
	sleep 0.5
	linek 'after-kill'
	wait_k 'script read [after-kill]'
	tm kill-server 2>/dev/null
else
	echo "$T_NAME: skipping the terminal checks: tmux is not installed" >&2
fi

done_testing
