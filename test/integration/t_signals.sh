#!/bin/bash
# ctest-labels: security
# Ctrl-C (SIGINT to the foreground process group) in `cairn run`: a step
# killed by it ends cairn the same way bash ends, and a SIGINT that was
# ignored when cairn started stays ignored in its steps, as in bash.
. "$TEST_SRC/test/integration/lib.sh"

printf 'echo start\nsleep 3\necho after\n' > int.sh

# interrupt SHELL...: run it in its own process group, SIGINT the group,
# print the exit status and what it printed.
interrupt() {
	setsid "$@" > int.out 2>&1 &
	local p=$!
	sleep 0.5
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

done_testing
