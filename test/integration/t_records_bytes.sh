#!/bin/bash
# Records carry any byte string: a file whose name is not UTF-8 has a
# `writes` entry with its name (written {"bytes_b64": ...}), which status,
# lineage, show, rerun and checkout read back; a command whose text is not
# UTF-8 gets its record, and its outputs land with it (#16).
. "$TEST_SRC/test/integration/lib.sh"

bad=$'\377\376'
phase "a file named with bytes that are not UTF-8"
run_cairn -c "echo hi > \$'\\377\\376'"
expect_eq "step ran" 0 "$RC"
expect_eq "the writes entry has the name, encoded" "//4=" \
	"$(rec @1 '[w["path"]["bytes_b64"] for w in r["writes"] if isinstance(w["path"], dict)][0]')"
run_cairn status
expect_match "status: the file is an output" "fresh +" "$OUT"
expect_eq "status: not untracked" 0 \
	"$(printf '%s\n' "$OUT" | sed -n '/Untracked/,$p' | LC_ALL=C grep -cF "$bad")"
run_cairn lineage "$bad"
expect_eq "lineage of it" 0 "$RC"
expect_match "lineage names its step" "echo hi" "$OUT"
run_cairn show @1
expect_match "show lists the write" "98ea6e4f216f  3 B" "$OUT"
rm -f -- "$bad"
run_cairn rerun "$bad"
expect_eq "rerun of it" 0 "$RC"
expect_eq "rerun made it again" "hi" "$(cat -- "$bad" 2>&1)"
"$CAIRN" -c "echo bye > \$'\\377\\376'" </dev/null
run_cairn checkout "$bad" --at @2
expect_eq "checkout of an earlier version" "0 hi" "$RC $(cat -- "$bad" 2>&1)"
run_cairn find --writes "$bad"
expect_match "find --writes it" "echo bye" "$OUT"

phase "a command whose text is not UTF-8"
printf 'echo \377 > y\n' >s.sh
run_cairn run s.sh
expect_eq "step ran" 0 "$RC"
expect_eq "its output landed" "$(printf '\377')" "$(cat y 2>&1)"
expect_eq "its record holds the command's bytes" "$(printf 'echo \377 > y' | base64)" \
	"$(rec @1 'r["command"]["bytes_b64"]')"
run_cairn lineage y
expect_eq "lineage of its output" 0 "$RC"
run_cairn log -n 1
expect_match "log lists it" "echo" "$OUT"

phase "listings quote names as ls does"
evil=$'evil\033]0;x\007\nname'
want="'evil'\$'\\033'']0;x'\$'\\a\\n''name'"
run_cairn -c "echo x > \$'evil\\033]0;x\\007\\nname'"
expect_eq "step ran" 0 "$RC"
want_re=$(printf '%s' "$want" | sed 's/[]$\\[.*^]/\\&/g')
for sub in status lineage show find log; do
	case $sub in
	status) run_cairn status ;;
	lineage) run_cairn lineage "$evil" ;;
	show) run_cairn show @1 ;;
	find) run_cairn find --writes "$evil" ;;
	*) run_cairn log -n 1 ;;
	esac
	case $OUT in *$'\033'* | *$'\007'*) fail "cairn $sub: a control byte reached the terminal" ;; esac
	[ "$sub" = log ] || expect_match "cairn $sub quotes the name" "$want_re" "$OUT"
done
expect_match "log shows the command's control bytes escaped" 'echo x > \$.evil\\033' "$OUT"
expect_eq "--json keeps the name as it is" "$evil" "$("$CAIRN" show @1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"][0]["path"], end="")')"

done_testing
