#!/bin/bash
# ctest-labels: security
# Where user namespaces are not allowed, cairn says which setting forbids
# them and how to allow them, runs nothing and exits 125; --no-sandbox
# runs steps unsandboxed, and the record says so.  The setting is lowered
# only inside a user namespace of the test's own (user.max_user_namespaces
# is per namespace), so the machine is not touched.
. "$TEST_SRC/test/integration/lib.sh"

if ! unshare --user --map-root-user true 2>/dev/null; then
	echo "t_nouserns: user namespaces unavailable to the test itself; skipped" >&2
	done_testing
fi
limit() {
	unshare --user --map-root-user sh -c \
		'echo 0 > /proc/sys/user/max_user_namespaces || exit 99; exec "$@"' sh "$@" \
		>"$T_DIR/.out" 2>"$T_DIR/.err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}

limit "$CAIRN" -c 'echo ran > ran.txt'
if [ "$RC" -eq 99 ]; then
	echo "t_nouserns: cannot lower user.max_user_namespaces here; skipped" >&2
	done_testing
fi
expect_eq "status" 125 "$RC"
expect_match "names the setting" "user\.max_user_namespaces" "$ERR"
expect_match "says how to enable" "sysctl -w user\.max_user_namespaces=" "$ERR"
expect_match "mentions --no-sandbox" "--no-sandbox" "$ERR"
[ -e ran.txt ] && fail "a step ran without its sandbox"

limit "$CAIRN" --no-sandbox -c 'echo ran > ran.txt'
expect_eq "--no-sandbox: status" 0 "$RC"
expect_eq "--no-sandbox: ran" ran "$(cat ran.txt 2>/dev/null)"
expect_eq "--no-sandbox: recorded as unsandboxed" False "$(rec @1 'r["sandbox"]["sandboxed"]')"

done_testing
