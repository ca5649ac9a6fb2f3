#!/bin/bash
# Bad input: clear messages with FILE:LINE:COL, exit 2, nothing has run.
. "$TEST_SRC/test/integration/lib.sh"

# check NAME FILE REGEX: cairn run FILE fails with status 2, ERR matches
# REGEX, and the marker the script's first line would create is absent.
check() {
	rm -f ran.marker
	run_cairn run "$2"
	expect_eq "$1: status" 2 "$RC"
	expect_match "$1: message" "$3" "$ERR"
	[ -e ran.marker ] && fail "$1: part of the script ran"
	return 0
}

printf 'touch ran.marker\necho "unterminated\necho more\n' > quote.sh
check "unterminated quote" quote.sh '^quote\.sh:2:6: unexpected EOF while looking for matching'

printf "touch ran.marker\ncat <<EOF\nbody\n" > heredoc.sh
check "unterminated here-doc" heredoc.sh '^heredoc\.sh:2:[0-9]+: .*here-document.*EOF'

printf 'touch ran.marker\nif true; then\n  echo x\nfi fi\n' > token.sh
check "unexpected token" token.sh "^token\.sh:4:4: syntax error near unexpected token \`fi'"

printf 'touch ran.marker\n#cairn: frobnicate\necho x\n' > directive.sh
check "unknown directive" directive.sh "^directive\.sh:2:1: unknown directive \`frobnicate'"

printf 'touch ran.marker\n#cairn: timeout=soon\necho x\n' > directive2.sh
check "bad directive value" directive2.sh "^directive2\.sh:2:1: timeout needs"

# Binary garbage: NUL bytes are not shell.
{ echo 'touch ran.marker'; head -c 4096 /dev/urandom; printf '\0\0'; } > garbage.sh
check "binary garbage" garbage.sh '^garbage\.sh:[0-9]+:[0-9]+: '

# A 10 MB line is fine: it runs.
{ printf 'x=%s\n' "$(head -c 10000000 /dev/zero | tr '\0' a)"; echo 'echo ${#x}'; } > long.sh
run_cairn run long.sh
expect_eq "10 MB line status" 0 "$RC"
expect_eq "10 MB line output" 10000000 "$OUT"

# The same through standard input, where steps run as `bash -c`: a
# command or a state too long for one argument still works.
"$CAIRN" < long.sh > out.txt 2> err.txt
expect_eq "10 MB line on stdin: status" 0 "$?"
expect_eq "10 MB line on stdin: output" 10000000 "$(cat out.txt)"
head -c 300000 /dev/zero | tr '\0' b > big.txt
printf 'v=$(cat big.txt)\necho ${#v} $0\n' | "$CAIRN" > out.txt 2> err.txt
expect_eq "300 kB variable carried: output" "300000 bash" "$(cat out.txt)"
expect_eq "300 kB variable carried: no error" "" "$(cat err.txt)"

# Valid directives are accepted.
printf '#cairn: net nocache\n#cairn: timeout=60, mem=4G\necho fine\n' > okdir.sh
run_cairn run okdir.sh
expect_eq "directives accepted" "fine" "$OUT"
expect_eq "directives accepted status" 0 "$RC"

done_testing
