#!/bin/bash
# ctest-labels: slow security
# The essential abuse probes of t_sandbox_abuse.sh again, as an ordinary
# user: writing outside the project, the store, mounts, the network,
# no-new-privs and a setuid-root program.  Run by root, which makes
# `nobody` the user (as in t_isolation.sh: the binary and the project in
# a directory nobody owns; an unprivileged user namespace maps only
# nobody's own uid and gid, so what the steps touch is nobody's).
. "$TEST_SRC/test/integration/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null ||
	! command -v setpriv >/dev/null; then
	echo "$T_NAME: skipped: needs root, the user nobody, the group nogroup and setpriv" \
		"(run by an ordinary user, t_sandbox_abuse.sh makes the same probes as that user)" >&2
	exit 0
fi

WHO=nobody
. "$TEST_SRC/test/integration/abuse_lib.sh"

NDIR=$(mktemp -d /tmp/cairn-nobody.XXXXXX)
chmod 755 "$NDIR"
cp "$CAIRN" "$NDIR/cairn"
chmod 755 "$NDIR/cairn"
NCAIRN=$NDIR/cairn
PROJ=$NDIR/proj
mkdir -p "$PROJ/.cairn"
chown -R nobody:nogroup "$NDIR"
tools_make

S -c 'id -un'
expect_eq "steps run as nobody" "0 nobody" "$RC $OUT"

probe_outside
probe_store
probe_mounts
probe_net
probe_nested
probe_handles
probe_tiocsti

# Global kernel settings are root's: DAC alone must stop nobody.
if [ "$(cat /proc/sys/vm/overcommit_memory)" != 2 ]; then
	ratio=$(cat /proc/sys/vm/overcommit_ratio)
	S -c "echo $((ratio + 1)) > /proc/sys/vm/overcommit_ratio"
	now=$(cat /proc/sys/vm/overcommit_ratio)
	if [ "$now" != "$ratio" ]; then
		fail "nobody: sysctl: a step changed vm.overcommit_ratio on the host ($ratio -> $now)"
		echo "$ratio" >/proc/sys/vm/overcommit_ratio
	fi
fi

# --- no-new-privs; a setuid-root program in the project ----------------
S -c 'grep NoNewPrivs /proc/self/status'
expect_match "nobody: NoNewPrivs is set" "^NoNewPrivs:[[:space:]]+1$" "$OUT"
cp "$(command -v id)" "$PROJ/suid-id"
chown root:root "$PROJ/suid-id"
chmod 4755 "$PROJ/suid-id"
# Outside a step it makes nobody root (so the probe can fail)...
expect_eq "nobody: setuid works outside a step" 0 \
	"$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$PROJ/suid-id" -u)"
# ...inside, it does not.
S -c './suid-id -u; ./suid-id -g'
expect_eq "nobody: setuid ignored inside a step" "0 65534
65534" "$RC $OUT"
S -c "./suid-id -u; cp suid-id again && chmod 4755 again && ./again -u"
expect_eq "nobody: a setuid copy made in a step" "0 65534
65534" "$RC $OUT"
rm -f "$PROJ/suid-id" "$PROJ/again"

done_testing
