# ctest-labels: slow
# A power loss while cairn runs: the project lives on a small ext4 image
# (a loop device), and the filesystem is shut down without writing its
# journal or any dirty data (EXT4_IOC_SHUTDOWN, NOLOGFLUSH: what xfstests
# uses for crash tests) -- everything the kernel had not yet written is
# lost, as in a power cut.  After a remount, the next cairn's recovery
# must leave every output matching its record and `cairn fsck` clean.
# Needs root and a loop device; skipped (not failed) without them.
# (device-mapper's dm-flakey would do the same, but the test kernel has
# no device-mapper; the shutdown ioctl needs nothing but ext4.)

# In a mount namespace of its own: the test's mount is then in no other
# namespace (a sandbox another program sets up meanwhile would copy it
# and keep it busy), and only the cairn it runs can hold it.
if [ -z "${CAIRN_T_POWER_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	CAIRN_T_POWER_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$TEST_SRC/test/integration/lib.sh"

skip() {
	echo "$T_NAME: $*; skipped" >&2
	echo "$T_NAME: ok"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (a loop device and a mount)"
[ -n "${CAIRN_T_POWER_NS:-}" ] || skip "cannot make a mount namespace (unshare -m)"
for t in losetup mkfs.ext4 mount umount python3; do
	command -v $t >/dev/null || skip "$t is not installed"
done

IMG=$T_DIR/disk.img
MNT=$T_DIR/mnt
DEV=
# Every process that keeps the test mount busy: one with a file or its
# directory there (cairn, its record writer), or one in a mount namespace
# of its own that holds the filesystem (a step's sandbox).
on_mount() {
	local p l ns
	ns=$(readlink /proc/$$/ns/mnt)
	for p in /proc/[0-9]*; do
		case ${p#/proc/} in 1 | $$) continue ;; esac
		if [ "$(readlink "$p"/ns/mnt)" != "$ns" ] && grep -q " $MAJMIN " "$p"/mountinfo; then
			echo "${p#/proc/}"
			continue
		fi
		for l in "$p"/cwd "$p"/root "$p"/fd/*; do
			case $(readlink "$l") in "$MNT" | "$MNT"/*)
				echo "${p#/proc/}"
				break
				;;
			esac
		done
	done 2>/dev/null | sort -u
}
unmount() {
	local i pids
	mountpoint -q "$MNT" 2>/dev/null || return 0
	# A namespace goes a moment after its last process: try for 15 s.
	for i in $(seq 30); do
		pids=$(on_mount)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null
		umount "$MNT" 2>/dev/null && return 0
		sleep 0.5
	done
	umount "$MNT"
}
cleanup() {
	cd /
	unmount
	[ -z "$DEV" ] || losetup -d "$DEV" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T_DIR"
}
trap cleanup EXIT

truncate -s 256M "$IMG"
mkfs.ext4 -q -F "$IMG" >/dev/null 2>&1 || skip "mkfs.ext4 failed"
DEV=$(losetup -f --show "$IMG" 2>/dev/null) || skip "no loop device"
mkdir "$MNT"
mount "$DEV" "$MNT" 2>/dev/null || skip "cannot mount a loop device"
MAJMIN=$(mountpoint -d "$MNT")

# power_off [PID]: drop everything not yet on the disk, kill PID (the
# cairn that was running), unmount.
power_off() {
	python3 -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(fd, 0x8004587D, struct.pack("I", 2))  # EXT4_IOC_SHUTDOWN, NOLOGFLUSH
' "$MNT" || fail "the shutdown ioctl failed"
	[ -z "${1:-}" ] || kill -9 "$1" 2>/dev/null
	cd "$T_DIR" || exit 1
	unmount
}
power_on() {
	if mountpoint -q "$MNT" || ! mount "$DEV" "$MNT"; then
		fail "cannot unmount and mount again"
		done_testing
	fi
	cd "$MNT/p" || exit 1
}

mkdir -p "$MNT/p/.cairn" "$MNT/p/in"
cd "$MNT/p" || exit 1
for i in $(seq 0 4); do seq $((i * 100)) $((i * 100 + 400)) >in/$i.txt; done
{
	for i in $(seq 1 24); do
		case $((i % 4)) in
		0) echo "sort -r in/$((i % 5)).txt > out/$((i % 9)).txt" ;;
		1) echo "mkdir -p many; for k in \$(seq 40); do echo $i.\$k > many/\$k; done" ;;
		2) echo "tr 0-9 a-j < in/$((i % 5)).txt > out/t$((i % 4)).txt; rm -f out/$((i % 9)).txt" ;;
		3) echo "cat out/t$((i % 4)).txt in/$((i % 5)).txt 2>/dev/null | wc -l > out/n$((i % 3)).txt" ;;
		esac
	done
} >s.sh
mkdir out
sync -f .

# check WHAT: after recovery, the store is consistent and every file the
# records name is as they say (or as before, for a step not recorded).
check() {
	run_cairn -c 'true'
	expect_eq "$1: the next cairn works" 0 "$RC"
	[ "$RC" -eq 0 ] || echo "$ERR" >&2
	run_cairn fsck
	expect_eq "$1: fsck clean" 0 "$RC"
	[ "$RC" -eq 0 ] || echo "$OUT" >&2
	run_cairn status --json
	echo "$OUT" | python3 -c '
import json, sys
bad = [e for e in json.load(sys.stdin)
       if e["state"] in ("modified", "deleted")
       or (e["state"] == "untracked" and e["path"].startswith(("out/", "many/")))]
for e in bad:
    print("  %s: %s" % (e["path"], e["state"]))
sys.exit(1 if bad else 0)' >&2 || fail "$1: outputs do not match their records"
}

# The power goes while the script runs, at a moment that moves from round
# to round; a last time right after a whole run.
for round in 1 2 3; do
	phase "round $round"
	"$CAIRN" run s.sh >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "0.$((round * 3))$((RANDOM % 10))"
	power_off $pid
	wait $pid 2>/dev/null
	power_on
	check "power loss $round"
done
phase "after a whole run"
run_cairn run s.sh
expect_eq "a whole run" 0 "$RC"
[ "$RC" -eq 0 ] || echo "$ERR" >&2
# One fsync of an unrelated file: the journal commits the renames, not
# the bytes of files nobody synced.
python3 -c 'import os; fd = os.open("unrelated", os.O_WRONLY | os.O_CREAT); os.write(fd, b"x"); os.fsync(fd)'
power_off
power_on
rm -f unrelated
check "power loss after a run"
cd /
done_testing
