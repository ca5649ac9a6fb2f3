#!/bin/bash
# A killed cairn leaves its scratch directory (TMPDIR/cairn-XXXXXX)
# behind; the next cairn removes those whose session is gone (their .lock
# held by nobody), and never a live session's, a link, a directory
# without a lock, or another user's (#16).  Everything happens in a
# TMPDIR of the test's own.
. "$TEST_SRC/test/integration/lib.sh"

scratch=$T_DIR/scratch
mkdir "$scratch" "$T_DIR/victim"
export TMPDIR=$scratch
echo precious >"$T_DIR/victim/file"
: >"$T_DIR/victim/.lock"
ln -s "$T_DIR/victim" "$scratch/cairn-link01"
mkdir "$scratch/cairn-nolock" && echo keep >"$scratch/cairn-nolock/f"
if [ "$(id -u)" = 0 ]; then
	mkdir "$scratch/cairn-other1" && : >"$scratch/cairn-other1/.lock"
	chown -R 65534 "$scratch/cairn-other1"
fi

# wait_step SID: until the session SID's step (a sleep) runs.
wait_step() {
	local i
	for i in $(seq 300); do
		ps -s "$1" -o comm= 2>/dev/null | grep -qx sleep && return 0
		sleep 0.1
	done
	fail "the step of session $1 never started"
}
# new_dir KNOWN...: the one scratch directory not among KNOWN.
new_dir() {
	local d
	for d in "$scratch"/cairn-*; do
		d=${d##*/}
		case " $* " in *" $d "*) ;; *) echo "$d" ;; esac
	done
}

phase "two sessions mid-step, one killed"
before=$(cd "$scratch" && echo cairn-*)
setsid "$CAIRN" -c 'sleep 60' </dev/null >/dev/null 2>&1 &
live=$!
wait_step "$live"
# shellcheck disable=SC2086 # a list of names
live_dir=$(new_dir $before)
setsid "$CAIRN" -c 'sleep 60' </dev/null >/dev/null 2>&1 &
dead=$!
wait_step "$dead"
# shellcheck disable=SC2086
dead_dir=$(new_dir $before "$live_dir")
expect_match "each session has its directory" "^cairn-.{6} cairn-.{6}$" "$live_dir $dead_dir"
kill -9 "$dead"
wait "$dead" 2>/dev/null
# What the killed cairn's step left running goes with it.
for _ in $(seq 100); do ps -s "$dead" -o pid= >/dev/null 2>&1 || break; sleep 0.1; done
[ -d "$scratch/$dead_dir" ] || fail "the killed session's directory went before the next cairn"

phase "the next cairn sweeps"
run_cairn -c 'echo next'
expect_eq "the next cairn ran" "0 next" "$RC $OUT"
[ -e "$scratch/$dead_dir" ] && fail "the killed session's directory $dead_dir is still there"
[ -d "$scratch/$live_dir" ] || fail "the live session's directory $live_dir was removed"
[ -e "$scratch/$live_dir/.lock" ] || fail "the live session's lock was removed"
expect_eq "a link named like one: its target kept" "precious" "$(cat "$T_DIR/victim/file" 2>&1)"
[ -L "$scratch/cairn-link01" ] || fail "the link was removed"
expect_eq "a directory without a lock kept" "keep" "$(cat "$scratch/cairn-nolock/f" 2>&1)"
if [ "$(id -u)" = 0 ]; then
	[ -e "$scratch/cairn-other1/.lock" ] || fail "another user's directory was touched"
fi
kill -TERM "$live"
wait "$live" 2>/dev/null
for _ in $(seq 100); do ps -s "$live" -o pid= >/dev/null 2>&1 || break; sleep 0.1; done
run_cairn -c true
expect_eq "nothing left but what is not ours to remove" \
	"cairn-link01 cairn-nolock$([ "$(id -u)" = 0 ] && echo ' cairn-other1')" \
	"$(cd "$scratch" && ls -A | sort | tr '\n' ' ' | sed 's/ $//')"

done_testing
