# Helpers for integration tests.  Each test is a bash script run by ctest
# with $CAIRN (the binary) and $TEST_SRC (the source tree) set.
set -u
: "${CAIRN:?CAIRN must name the cairn binary}"
: "${TEST_SRC:?TEST_SRC must name the source tree}"

T_FAILS=0
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-it.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T_DIR"' EXIT
cd "$T_DIR" || exit 1
# The test directory is the project: its store exists from the start, so
# cairn does not announce a new one on standard error.
mkdir "$T_DIR/.cairn"

fail() {
	echo "FAIL: $T_NAME: $*" >&2
	T_FAILS=$((T_FAILS + 1))
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" != "$3" ]; then
		fail "$1: expected [$2], got [$3]"
	fi
}

# expect_match WHAT REGEX ACTUAL
expect_match() {
	if ! [[ $3 =~ $2 ]]; then
		fail "$1: [$3] does not match /$2/"
	fi
}

# run_cairn ARGS...: sets OUT, ERR, RC
run_cairn() {
	"$CAIRN" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}

# rec STEP EXPR: evaluate the Python expression EXPR on step STEP's record
# (`cairn show STEP --json`, bound to r); prints the result.  Helpers in
# scope: reads(kind) -> {path: entry}, writes() -> {path: entry}.
rec() {
	"$CAIRN" show "$1" --json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
def reads(kind=None):
    return {x["path"]: x for x in r["reads"] if kind is None or x["kind"] == kind}
def writes():
    return {x["path"]: x for x in r["writes"]}
print(eval(sys.argv[1]))' "$2" "${3:-}"
}

done_testing() {
	if [ "$T_FAILS" -ne 0 ]; then
		echo "$T_NAME: $T_FAILS failure(s)" >&2
		exit 1
	fi
	echo "$T_NAME: ok"
	exit 0
}
