#!/bin/bash
# The command line: help, version, usage errors, missing scripts.
. "$TEST_SRC/test/integration/lib.sh"

run_cairn --help
expect_eq "--help status" 0 "$RC"
expect_match "--help lists run" $'\n  run ' "$OUT"
expect_match "--help lists -c" "-c COMMANDS" "$OUT"

run_cairn --version
expect_eq "--version status" 0 "$RC"
expect_match "--version" "^cairn [0-9]+\.[0-9]+\.[0-9]+$" "$OUT"

for sub in run help version; do
	run_cairn "$sub" --help
	expect_eq "$sub --help status" 0 "$RC"
	expect_match "$sub --help usage" "^usage: cairn $sub" "$OUT"
done
run_cairn help run
expect_match "help run" "^usage: cairn run" "$OUT"

run_cairn frobnicate
expect_eq "unknown subcommand status" 2 "$RC"
expect_match "unknown subcommand message" "'frobnicate' is not a cairn command" "$ERR"

run_cairn --frobnicate
expect_eq "unknown option status" 2 "$RC"
expect_match "unknown option message" "unknown option '--frobnicate'" "$ERR"

run_cairn -c
expect_eq "-c without argument" 2 "$RC"

run_cairn run
expect_eq "run without script" 2 "$RC"
expect_match "run without script message" "no script given" "$ERR"

run_cairn run does-not-exist.sh
expect_eq "missing script status (as bash)" 127 "$RC"
expect_match "missing script message" "does-not-exist.sh: No such file or directory" "$ERR"

mkdir adir
run_cairn run adir
expect_eq "directory as script status" 126 "$RC"
expect_match "directory as script message" "adir: Is a directory" "$ERR"

printf 'echo hi\n' > unreadable.sh
chmod 000 unreadable.sh
if [ "$(id -u)" -ne 0 ]; then
	run_cairn run unreadable.sh
	expect_eq "unreadable script status" 126 "$RC"
fi

run_cairn run --shell csh x.sh
expect_eq "bad --shell" 2 "$RC"

done_testing
