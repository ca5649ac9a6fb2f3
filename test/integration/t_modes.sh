#!/bin/bash
# The ways commands reach cairn: run FILE ARGS, -c, standard input.
. "$TEST_SRC/test/integration/lib.sh"

cat > args.sh <<'S'
echo "0=$0 n=$#"
for a in "$@"; do echo "[$a]"; done
shift
echo "after shift: $*"
exit 7
S
run_cairn run args.sh one "two words" three
expect_eq "run args status" 7 "$RC"
expect_eq "run args output" "0=args.sh n=3
[one]
[two words]
[three]
after shift: two words three" "$OUT"

run_cairn -c 'x=5
echo "x=$x 0=$0 1=${1-unset}"; exit 3'
expect_eq "-c status" 3 "$RC"
expect_eq "-c output" "x=5 0=bash 1=unset" "$OUT"

run_cairn -c 'echo "0=$0 1=$1 2=$2"' myname a b
expect_eq "-c NAME ARGS as bash -c" "0=myname 1=a 2=b" "$OUT"

printf 'y=4\necho "y=$y"\nfalse\n' | "$CAIRN" >out.txt 2>err.txt
rc=$?
expect_eq "stdin status" 1 "$rc"
expect_eq "stdin output" "y=4" "$(cat out.txt)"

# -c syntax error names "-c"
run_cairn -c 'echo ok; if true; then'
expect_eq "-c syntax error status" 2 "$RC"
expect_match "-c syntax error position" "^-c:1:[0-9]+: " "$ERR"
expect_eq "-c syntax error runs nothing" "" "$OUT"

# sh scripts run under sh: dash's echo interprets backslashes.
printf '#!/bin/sh\necho "a\\tb"\n' > posix.sh
run_cairn run posix.sh
expect_eq "sh script under sh" "$(dash posix.sh)" "$OUT"
run_cairn run --shell bash posix.sh
expect_eq "--shell bash" "$(bash posix.sh)" "$OUT"

# $SECONDS counts from the start of the session, across steps, and from an
# assignment when the script makes one.
printf 'sleep 1.1\necho "$SECONDS"\nSECONDS=50\necho "$SECONDS"\n' > seconds.sh
run_cairn run seconds.sh
# (50 or 51: bash counts whole seconds from the assignment, and a slow
# machine or a sanitizer build can cross a second before the echo.)
expect_match "SECONDS across steps" $'^[12]\n5[01]$' "$OUT"

done_testing
