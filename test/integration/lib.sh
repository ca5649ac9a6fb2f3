# Helpers for integration tests.  Each test is a bash script run by ctest
# with $CAIRN (the binary) and $TEST_SRC (the source tree) set.
set -u
: "${CAIRN:?CAIRN must name the cairn binary}"
: "${TEST_SRC:?TEST_SRC must name the source tree}"

# Servers the tests start (nginx) live in /usr/sbin, which an ordinary
# user's PATH lacks.
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH=$PATH:/usr/sbin:/sbin ;;
esac

# Descriptors the harness left open (ctest's log file, written as other
# tests end) would reach cairn as its caller's, and a step is not stored
# when one moves under it (docs/cache.md): a test that checks the cache
# failed by the timing of other tests.  Tests start without them.
t__fds=$(ls /proc/$$/fd)
for t__fd in $t__fds; do
	if [ "$t__fd" -gt 2 ] && [ "$t__fd" -lt 255 ] && [ -e "/proc/$$/fd/$t__fd" ]; then
		eval "exec $t__fd>&-"
	fi
done
unset t__fd t__fds

T_FAILS=0
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-it.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T_DIR"' EXIT
cd "$T_DIR" || exit 1
# The test directory is the project: its store exists from the start, so
# cairn does not announce a new one on standard error.
mkdir "$T_DIR/.cairn"

# --- a watchdog: a test that runs past its time limit says what it was
# doing before it is stopped (ctest's own timeout would kill it silently).
# CAIRN_TEST_TIMEOUT (seconds, set by test/CMakeLists.txt a little below
# ctest's TIMEOUT) arms it; `phase TEXT` names what the test is doing now.
T_WD=/dev/null
[ "${CAIRN_TEST_TIMEOUT:-0}" -gt 0 ] && T_WD=$(mktemp -d "${TMPDIR:-/tmp}/cairn-wd.XXXXXX")
phase() {
	[ "$T_WD" = /dev/null ] || printf '%s (at %ss)\n' "$*" "$SECONDS" >"$T_WD/phase"
}
phase "start"
t__report() { # PID LIMIT: what the test PID is doing, on its stderr
	local pid=$1 f
	echo "TIMEOUT: $T_NAME still running after ${2}s; it was doing:"
	echo "  phase: $(cat "$T_WD/phase" 2>/dev/null)"
	echo "  processes (pid, seconds running, command):"
	ps -e -o pid=,ppid=,etimes=,args= 2>/dev/null | awk -v root="$pid" '
		{ par[$1] = $2; line[$1] = $0; order[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				p = order[i]
				for (q = p; q != "" && q != root && q > 1; q = par[q]) ;
				if (q == root && p != root) {
					split(line[p], f, " ")
					s = line[p]; sub(/^ *[0-9]+ +[0-9]+ +[0-9]+ /, "", s)
					printf "    %s %ss %s\n", f[1], f[3], substr(s, 1, 300)
				}
			}
		}'
	for f in "$T_DIR/.out" "$T_DIR/.err"; do
		[ -s "$f" ] || continue
		echo "  last lines of ${f##*/} (the newest cairn command's output):"
		tail -n 15 "$f" | sed 's/^/    /'
	done
}
t__watchdog() { # PID LIMIT
	local pid=$1 limit=$2 start=$SECONDS kids
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			t__report "$pid" "$limit" >>"/proc/$pid/fd/2" 2>/dev/null
			kids=$(ps -e -o pid=,ppid= | awk -v root="$pid" '
				{ par[$1] = $2 } END { for (p in par) { for (q = p; q > 1 && q != root; q = par[q]) ;
					if (q == root && p != root) print p } }')
			kill -TERM "$pid" 2>/dev/null
			# shellcheck disable=SC2086
			[ -z "$kids" ] || kill -KILL $kids 2>/dev/null
			for start in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$pid" 2>/dev/null || break
				sleep 1
			done
			break
		fi
		sleep 1
	done
	rm -rf "$T_WD"
}
trap 'echo "$T_NAME: stopped (SIGTERM) in phase: $(cat "$T_WD/phase" 2>/dev/null)" >&2; exit 124' TERM
[ "$T_WD" = /dev/null ] || (t__watchdog $$ "$CAIRN_TEST_TIMEOUT" </dev/null >/dev/null 2>&1 &)

# tmux_wait SOCKET TARGET TEXT: until tmux's pane TARGET shows TEXT (at
# most 30 s, however loaded the machine); else a failure with the screen.
tmux_wait() {
	local i
	for i in $(seq 300); do
		tmux -S "$1" capture-pane -t "$2" -p -S -200 | grep -qF -- "$3" && return 0
		sleep 0.1
	done
	fail "screen never showed [$3]: $(tmux -S "$1" capture-pane -t "$2" -p -S -200)"
	return 1
}

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

# The newest session's id.
last_session() {
	"$CAIRN" show @1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])'
}

# session_records SESSION [EXTRA]: one JSON line per step of SESSION,
# oldest first, with the fields two runs of the same steps must agree on
# (command, line, status, cached, committed, start state, stdout/stderr,
# action key, reads and writes with hashes, programs); EXTRA is a Python
# dict expression over the record r with more fields.
session_records() {
	local extra=${2:-}
	[ -n "$extra" ] || extra='{}'
	"$CAIRN" log --json -n 100000 | python3 -c '
import json, subprocess, sys
for s in reversed(json.load(sys.stdin)):
    if s["session"] != sys.argv[1]:
        continue
    r = json.loads(subprocess.run([sys.argv[2], "show", s["id"], "--json"],
                                  capture_output=True, text=True).stdout)
    keep = {
        "seq": r["seq"], "command": r["command"], "line": r["line"],
        "exit_status": r["exit_status"], "cached": r["cached"],
        "committed": r["committed"],
        "start_state": r["start_state"]["state_sha256"],
        "stdout": r["stdout_sha256"], "stderr": r["stderr_sha256"],
        "key": r["cache"]["key"],
        "reads": sorted((x["path"], x["kind"], x.get("sha256")) for x in r["reads"]),
        "writes": sorted((x["path"], x["kind"], x.get("sha256")) for x in r["writes"]),
        "argv": sorted(" ".join(e["argv"]) for e in r["exec_tree"]),
    }
    keep.update(eval(sys.argv[3]))
    print(json.dumps(keep, sort_keys=True))' "$1" "$CAIRN" "$extra"
}

done_testing() {
	if [ "$T_FAILS" -ne 0 ]; then
		echo "$T_NAME: $T_FAILS failure(s)" >&2
		exit 1
	fi
	echo "$T_NAME: ok"
	exit 0
}
