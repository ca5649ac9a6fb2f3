# Helpers and probes shared by t_sandbox_abuse.sh (as root) and
# t_sandbox_abuse2.sh (as `nobody`).  Sourced after lib.sh.
#
# Every probe tries to get out of the sandbox in a way that cannot harm
# the machine: it aims at a canary (a directory we create outside the
# project, a tmpfs with a unique name, a sysctl we restore, a sleep we
# start), checks the canary afterwards and undoes whatever got through
# before failing.
#
# WHO (root, meaning whoever runs the test, or nobody) says who runs
# the steps; PROJ is the project,
# CAN the canary directory outside it, TOOLS a read-only directory of
# helpers the steps may run (both under /var/tmp, which the steps see
# read-only; the session's /tmp is private).

SPY=/usr/bin/python3 # the python the steps run (also as nobody)
[ -x "$SPY" ] || SPY=$(command -v python3)
HPY=$(command -v python3) # the python the test itself runs

WHO=${WHO:-root}
SCR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-abuse-scr.XXXXXX")
TOOLS=/var/tmp/cairn-abuse-tools-$$
CAN=/var/tmp/cairn-canary-$$
BG_PIDS=()

# GUARD: put before a probe that would do harm if the sandbox were gone
# (unmount /proc or /tmp, attach to pid 1...): the step exits 99 unless
# it runs in mount, pid and uts namespaces of its own.
HOST_NET=$(readlink /proc/self/ns/net)
HOST_NS=" $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/uts) "
GUARD="for n in mnt pid uts; do case '$HOST_NS' in *\" \$(readlink /proc/self/ns/\$n) \"*) exit 99;; esac; done;"
# unconfined WHAT: fail when the last step exited 99 (GUARD said no).
unconfined() {
	if [ "$RC" -eq 99 ]; then
		fail "$1: the step shares namespaces with the host; the probe was not run"
		return 0
	fi
	return 1
}

abuse_cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$SCR" "$TOOLS" "$CAN" "$T_DIR"
	[ -n "${NDIR:-}" ] && rm -rf "$NDIR"
}
trap abuse_cleanup EXIT
trap 'exit 143' TERM INT HUP

# Owner of what the steps may (try to) touch: ours, or nobody's so that
# only the sandbox, not file permissions, stands in the way.
owner() { if [ "$WHO" = nobody ]; then echo nobody:nogroup; else echo "$(id -u):$(id -g)"; fi; }

# The canary directory: a file, a subdirectory, a symlink.
canary_make() {
	rm -rf "$CAN"
	mkdir -p "$CAN/sub"
	echo "canary $$" >"$CAN/f"
	echo "sub $$" >"$CAN/sub/g"
	ln -s f "$CAN/l"
	touch -d @1700000000 "$CAN/f" "$CAN/sub/g" "$CAN/sub" "$CAN"
	chown -R "$(owner)" "$CAN"
	chmod 755 "$CAN" "$CAN/sub"
	chmod 644 "$CAN/f" "$CAN/sub/g"
	CAN_SNAP=$(canary_snap)
}
canary_snap() {
	(cd "$CAN" 2>/dev/null && find . -printf '%p %y %m %u %s %l %T@\n' | sort &&
		sha256sum f sub/g 2>/dev/null)
}
# canary_check WHAT: the canary must be as made; if not, remake it and fail.
canary_check() {
	local now
	now=$(canary_snap)
	if [ "$now" != "$CAN_SNAP" ]; then
		fail "$1: the canary outside the project changed: $(diff <(echo "$CAN_SNAP") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
		canary_make
	fi
}

# Helpers the steps run, compiled or written at test time.
tools_make() {
	mkdir -p "$TOOLS"
	cat >"$TOOLS/sys.py" <<'PY'
# sys.py OP [ARG]: try one raw system call, print "OP ret errno", exit 0
# when the kernel refused it, 1 when it went through.
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
op = sys.argv[1]
arg = sys.argv[2].encode() if len(sys.argv) > 2 else b"/mnt"
AT_FDCWD = -100
buf = ctypes.create_string_buffer(256)
L = ctypes.c_long
def sc(*a):
    return libc.syscall(*a)
if op == "io_uring_setup":
    r = sc(L(425), L(4), buf)
elif op == "io_uring_enter":
    r = sc(L(426), L(0), L(1), L(0), L(0), None, L(0))
elif op == "io_uring_register":
    r = sc(L(427), L(0), L(0), None, L(0))
elif op == "mount":
    r = libc.mount(b"cairn-abuse", arg, b"tmpfs", L(0), None)
elif op == "remount_rw":            # MS_REMOUNT | MS_BIND, without MS_RDONLY
    r = libc.mount(None, arg, None, L(32 | 4096), None)
elif op == "bind":                  # mount --bind / ARG
    r = libc.mount(b"/", arg, None, L(4096), None)
elif op == "umount":                # MNT_DETACH
    r = libc.umount2(arg, 2)
elif op == "mount_setattr":         # clear MOUNT_ATTR_RDONLY, recursively
    attr = (ctypes.c_uint64 * 4)(0, 1, 0, 0)
    r = sc(L(442), L(AT_FDCWD), arg, L(0x8000), attr, L(32))
elif op == "open_tree":             # OPEN_TREE_CLONE
    r = sc(L(428), L(AT_FDCWD), arg, L(1))
elif op == "move_mount":
    r = sc(L(429), L(AT_FDCWD), b"/proc", L(AT_FDCWD), arg, L(0))
elif op == "fsopen":
    r = sc(L(430), b"tmpfs", L(0))
elif op == "unshare_mount":         # a fresh user+mount namespace, then mount
    r = libc.unshare(0x10000000 | 0x00020000)
    if r == 0:
        r = libc.mount(b"cairn-abuse", arg, b"tmpfs", L(0), None)
elif op == "ptrace1":               # PTRACE_ATTACH to pid 1
    r = sc(L(101), L(16), L(1), None, None)
elif op == "sethostname":
    r = libc.sethostname(arg, len(arg))
elif op == "setns":
    fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    r = sc(L(308), L(fd), L(0))
elif op == "kill":                  # kill(ARG, SIGKILL)
    r = libc.kill(int(arg), 9)
elif op == "chroot":                # only this process would see it
    r = libc.chroot(arg)
elif op == "unshare_user":          # CLONE_NEWUSER
    r = libc.unshare(0x10000000)
elif op == "clone_user":            # clone(CLONE_NEWUSER | SIGCHLD)
    r = libc.syscall(L(56), L(0x10000000 | 17), None, None, None, L(0))
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
elif op == "clone3":                # clone3(NULL, 0): EFAULT in the kernel
    r = sc(L(435), None, L(0))
elif op == "name_to_handle_at":     # a handle for ARG (needs no privilege)
    fh = ctypes.create_string_buffer(8 + 128)
    ctypes.c_uint32.from_buffer(fh).value = 128
    mnt = ctypes.c_int()
    r = sc(L(303), L(AT_FDCWD), arg, fh, ctypes.byref(mnt), L(0))
elif op == "open_by_handle_at":     # ARG: a handle (hex) made outside; read only
    fh = ctypes.create_string_buffer(bytes.fromhex(arg.decode()))
    mfd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    r = sc(L(304), L(mfd), fh, L(os.O_RDONLY))
    if r >= 0:
        print("opened a file by its handle:", os.readlink("/proc/self/fd/%d" % r))
elif op == "fanotify_init":         # FAN_REPORT_FID: what Linux 5.13+ lets anyone have
    r = sc(L(300), L(0x200), L(os.O_RDONLY))
elif op == "fanotify_mark":         # on a bad group: EBADF if it reached the kernel
    r = sc(L(301), L(-1), L(1), L(2), L(AT_FDCWD), arg)
else:
    sys.exit("unknown op " + op)
e = ctypes.get_errno()
print(op, r, errno.errorcode.get(e, e) if r < 0 else 0)
sys.exit(0 if r < 0 else 1)
PY
	cat >"$TOOLS/handle.py" <<'PY'
# handle.py PATH: name_to_handle_at(PATH), printed as hex (the struct
# file_handle, header included), for open_by_handle_at.
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
fh = ctypes.create_string_buffer(8 + 128)
ctypes.c_uint32.from_buffer(fh).value = 128
mnt = ctypes.c_int()
if libc.name_to_handle_at(-100, sys.argv[1].encode(), fh, ctypes.byref(mnt), 0) < 0:
    sys.exit("name_to_handle_at: errno %d" % ctypes.get_errno())
n = ctypes.c_uint32.from_buffer(fh).value
print(fh.raw[:8 + n].hex())
PY
	cat >"$TOOLS/unix.py" <<'PY'
# unix.py PATH: connect to a Unix socket (abstract when PATH starts with @).
import socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0" + p[1:] if p.startswith("@") else p)
    s.send(b"escaped")
    print("connected")
except OSError as e:
    print("refused", e.errno)
    sys.exit(1)
PY
	cat >"$TOOLS/sti.py" <<'PY'
# sti.py: type "echo INJECTED" into the terminal on standard input with
# TIOCSTI, a key at a time; print "typed" or "refused ERRNO".
import errno, fcntl, sys, termios
for c in b"echo IN" + b"JECTED\n":
    try:
        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
    except OSError as e:
        print("refused", errno.errorcode.get(e.errno, e.errno))
        sys.exit(0)
print("typed")
PY
	cat >"$TOOLS/ptyrun.py" <<'PY'
# ptyrun.py CMD...: run CMD in a session of its own on a new pseudo-terminal
# (its controlling terminal) and print what the terminal showed, then
# "INJECTION SEEN" if the echo of typed-in keys appeared.  The terminal is
# this script's own: keys typed into it reach nothing else.
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
out = b""
end = time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    elif os.waitpid(pid, os.WNOHANG)[0]:
        pid = 0
        break
if pid:
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
if b"INJECTED" in out:
    print("INJECTION SEEN")
PY
	chmod -R a+rX "$TOOLS"
}

# S ARGS...: run cairn ARGS in the project as WHO; sets OUT, ERR, RC.
# STDIN names the step's standard input (default /dev/null).  No probe
# takes long: a hung one is stopped after 20 s.
S() {
	if [ "$WHO" = nobody ]; then
		(cd "$PROJ" && exec timeout -k 2 60 setpriv --reuid=nobody --regid=nogroup \
			--clear-groups env -i PATH=/usr/bin:/bin HOME=/nonexistent "$NCAIRN" "$@") \
			>"$SCR/out" 2>"$SCR/err" <"${STDIN:-/dev/null}"
	else
		(cd "$PROJ" && exec timeout -k 2 60 "$CAIRN" "$@") \
			>"$SCR/out" 2>"$SCR/err" <"${STDIN:-/dev/null}"
	fi
	RC=$?
	OUT=$(cat "$SCR/out")
	ERR=$(cat "$SCR/err")
}

# REC PYEXPR: evaluate PYEXPR on the newest record `j` (a tuple is
# printed as its items separated by blanks).
REC() {
	local o=$OUT e=$ERR r=$RC
	S show @1 --json
	"$HPY" -c "import json,sys; j=json.load(sys.stdin); r=($1)
print(' '.join(map(str, r)) if isinstance(r, tuple) else r)" <"$SCR/out"
	OUT=$o ERR=$e RC=$r
}

# refused WHAT PATH: the newest record lists PATH among the refused writes.
refused() {
	local got
	got=$(REC "'\n'.join(j['sandbox']['refused'])")
	if ! grep -qxF "$2" <<<"$got"; then
		fail "$1: sandbox.refused does not name $2: [$(tr '\n' ' ' <<<"$got")]"
	fi
}

# denied WHAT CMD [PATH]: the step CMD fails, leaves the canary alone
# and (with PATH) the record names PATH as refused.
denied() {
	S -c "$2"
	[ "$RC" -ne 0 ] || fail "$1: the step succeeded (out [$OUT])"
	canary_check "$1"
	[ $# -lt 3 ] || refused "$1" "$3"
}

# --- 1. writing outside the project -----------------------------------
probe_outside() {
	local w="$WHO: outside"
	canary_make
	denied "$w: echo >" "echo x > $CAN/f" "$CAN/f"
	denied "$w: append" "echo x >> $CAN/f" "$CAN/f"
	denied "$w: new file" "echo x > $CAN/new" "$CAN/new"
	denied "$w: rm" "rm $CAN/f" "$CAN/f"
	denied "$w: rm -rf" "rm -rf $CAN/sub" "$CAN/sub/g"
	denied "$w: chmod" "chmod 777 $CAN/f" "$CAN/f"
	denied "$w: ln -s" "ln -s /etc/passwd $CAN/evil" "$CAN/evil"
	denied "$w: ln -sf over" "ln -sfn /etc/passwd $CAN/l"
	denied "$w: hard link" "ln $CAN/f $CAN/hard" "$CAN/hard"
	denied "$w: mkdir" "mkdir $CAN/d" "$CAN/d"
	denied "$w: mv out of it" "mv $CAN/f stolen" "$CAN/f"
	[ -e "$PROJ/stolen" ] && fail "$w: mv out of it: a failed step's file reached the project"
	denied "$w: mv into it" "echo y > in && mv in $CAN/in" "$CAN/in"
	denied "$w: touch" "touch $CAN/f" "$CAN/f"
	denied "$w: touch new" "touch $CAN/t" "$CAN/t"
	denied "$w: truncate" "truncate -s 0 $CAN/f" "$CAN/f"
	denied "$w: dd" "dd if=/dev/zero of=$CAN/f bs=1 count=1 conv=notrunc status=none" "$CAN/f"
	denied "$w: python append" "$SPY -c \"open('$CAN/f', 'a').write('x')\"" "$CAN/f"
	denied "$w: python utime" "$SPY -c \"import os; os.utime('$CAN/f', (0, 0))\"" "$CAN/f"
	denied "$w: python rename" "$SPY -c \"import os; os.rename('$CAN/sub/g', '$CAN/g')\""
	# The same through a symlink inside the project.
	denied "$w: through a link in the project" "ln -s $CAN link && echo x > link/f"
	denied "$w: new file through a link" "ln -s $CAN link && echo x > link/new"
	denied "$w: through a link to the file" "ln -s $CAN/f flink && echo x >> flink"
	[ -e "$PROJ/link" ] || [ -e "$PROJ/flink" ] &&
		fail "$w: the links of failed steps reached the project"
	# Committed links outside, then a later step puts a directory and a
	# file in their place: the commit must replace the links, not
	# follow them.
	S -c "ln -s $CAN d && ln -s $CAN/f out"
	expect_eq "$w: links outside are committed" "0 $CAN $CAN/f" \
		"$RC $(readlink "$PROJ/d") $(readlink "$PROJ/out")"
	S -c 'echo x > d/f'
	[ "$RC" -ne 0 ] || fail "$w: writing through a committed link succeeded"
	canary_check "$w: through a committed link"
	S -c 'rm d out && mkdir d && echo evil > d/f && echo evil > d/new && echo evil > out'
	expect_eq "$w: replace the links" 0 "$RC"
	canary_check "$w: commit over links outside"
	[ -d "$PROJ/d" ] && [ ! -L "$PROJ/d" ] && [ -f "$PROJ/out" ] && [ ! -L "$PROJ/out" ] ||
		fail "$w: the commit did not replace the links: $(ls -l "$PROJ/d" "$PROJ/out" 2>&1)"
	rm -rf "$PROJ/d" "$PROJ/out"
	# A file outside given as standard input is for reading: reopening
	# it through /proc/self/fd must not write it.
	STDIN=$CAN/f S -c 'echo evil > /proc/self/fd/0'
	canary_check "$w: reopen stdin through /proc/self/fd"
	STDIN=$CAN/f S -c "$SPY -c \"import os; os.write(os.open('/proc/self/fd/0', os.O_WRONLY | os.O_APPEND), b'x')\""
	canary_check "$w: reopen stdin for appending"
	STDIN=$CAN/f S -c 'exec 3</dev/stdin; truncate -s 0 /proc/self/fd/3'
	canary_check "$w: truncate stdin"
}

# --- 2. the store is invisible and unwritable -------------------------
store_snap() {
	(cd "$PROJ/.cairn" && sha256sum config && find . -path ./tmp -prune -o -path ./journal -prune \
		-o -path ./lineage.git -prune -o -path ./cas -prune -o -path ./actions -prune \
		-o -printf '%p %y %m\n' | sort)
}
probe_store() {
	local w="$WHO: store" before git_before
	S -c 'true' # at least one step in the store
	before=$(store_snap)
	git_before=$(git -c safe.directory="*" --git-dir "$PROJ/.cairn/lineage.git" for-each-ref 2>&1 | wc -l)
	S -c 'ls -a'
	expect_eq "$w: ls -a" 0 "$RC"
	grep -qx '\.cairn' <<<"$OUT" && fail "$w: ls -a shows .cairn"
	S -c 'find . -maxdepth 2 -name "*cairn*"'
	expect_eq "$w: find shows nothing" "" "$OUT"
	S -c 'cat .cairn/config'
	[ "$RC" -ne 0 ] || fail "$w: cat .cairn/config succeeded: [$OUT]"
	S -c "cat $PROJ/.cairn/config /proc/self/root$PROJ/.cairn/config /proc/1/root$PROJ/.cairn/config /proc/1/cwd/.cairn/config"
	[ "$RC" -ne 0 ] && [ -z "$OUT" ] || fail "$w: the store is readable by another path: [$OUT]"
	S -c 'echo x > .cairn/x'
	[ "$RC" -ne 0 ] || fail "$w: writing .cairn/x succeeded"
	# Recreate it in the step's layer and let the step succeed: the
	# commit must not carry it into the real store.  (Only when the
	# step cannot see the real one: these would wreck it.)
	S -c '[ -e .cairn ] && exit 99;'
	unconfined "$w: .cairn is visible"
	S -c '[ -e .cairn ] && exit 99; mkdir -p .cairn/lineage.git && echo x > .cairn/x && echo "[evil]" >> .cairn/config &&
		echo garbage > .cairn/lineage.git/HEAD && mkdir -p .cairn/refs/cairn && true'
	S -c '[ -e .cairn ] && exit 99; rm -rf .cairn; mkdir sneaky && echo y > sneaky/config && mv sneaky .cairn; true'
	S -c '[ -e .cairn ] && exit 99; ln -sfn /var/tmp .cairn; true'
	S -c '[ -e .cairn ] && exit 99; ln -s .cairn store; ln .cairn/config hard 2>/dev/null; true'
	rm -f "$PROJ/store" "$PROJ/hard"
	[ -e "$PROJ/.cairn/x" ] && fail "$w: .cairn/x reached the real store"
	[ -L "$PROJ/.cairn" ] && fail "$w: the store was replaced by a link"
	expect_eq "$w: the store is unchanged" "$before" "$(store_snap)"
	local fsck
	fsck=$(git -c safe.directory="*" --git-dir "$PROJ/.cairn/lineage.git" fsck 2>&1)
	expect_eq "$w: git fsck of the lineage" "0 " "$? $(grep -v '^notice: HEAD points to an unborn' <<<"$fsck")"
	[ "$(git -c safe.directory="*" --git-dir "$PROJ/.cairn/lineage.git" for-each-ref | wc -l)" -ge "$git_before" ] ||
		fail "$w: refs disappeared from the lineage"
	S -c 'echo still-works'
	expect_eq "$w: cairn still works" "0 still-works" "$RC $OUT"
}

# --- 3. mounts ----------------------------------------------------------
MARK=cairn-abuse-$$
# The host's mounts the probes aim at (by mount point or by our tmpfs's
# name); the rest of the table may change under other programs.
mounts_ours() {
	awk -v can="$CAN" -v proj="$PROJ" -v mark="$MARK" '
		$5 == "/" || $5 == "/proc" || $5 == "/tmp" || $5 == "/var/tmp" || $5 == "/mnt" ||
		index($5, can) == 1 || index($5, proj) == 1 || index($0, mark)' /proc/self/mountinfo
}
mounts_check() {
	local now leak mp
	now=$(mounts_ours)
	if [ "$now" != "$MOUNTS_BEFORE" ]; then
		leak=$(diff <(echo "$MOUNTS_BEFORE") <(echo "$now") | grep '^[<>]')
		fail "$1: the host's mount table changed: $leak"
		# Undo what was added, when it is ours.
		grep '^>' <<<"$leak" | grep -e "$MARK" -e "$CAN" -e "$PROJ" -e ' /mnt ' |
			awk '{print $6}' | while read -r mp; do umount -l "$mp"; done
		MOUNTS_BEFORE=$(mounts_ours)
	fi
}
# mount_denied WHAT CMD: the step fails and nothing changes on the host.
mount_denied() {
	S -c "$GUARD $2"
	unconfined "$1" && return
	[ "$RC" -ne 0 ] || fail "$1: the step succeeded (out [$OUT], err [$ERR])"
	mounts_check "$1"
	canary_check "$1"
}
# Nested namespaces and chroot: refused in a step (the recorder would
# resolve paths against the wrong root), fork still works.
probe_nested() {
	local w="$WHO: nested" op
	for op in unshare_user clone_user chroot; do
		S -c "$GUARD $SPY $TOOLS/sys.py $op ."
		unconfined "$w: $op" || expect_eq "$w: $op refused" "0 $op -1 EPERM" "$RC $OUT"
	done
	S -c "$SPY $TOOLS/sys.py clone3"
	expect_eq "$w: clone3 is ENOSYS (libc falls back to clone)" "0 clone3 -1 ENOSYS" "$RC $OUT"
	S -c "unshare -U true"
	[ "$RC" -ne 0 ] || fail "$w: unshare -U succeeded in a step"
	S -c "chroot / true"
	[ "$RC" -ne 0 ] || fail "$w: chroot succeeded in a step"
	S -c '(echo sub) | cat; $(true) && echo forked'
	expect_eq "$w: fork and subshells still work" "0 sub
forked" "$RC $OUT"
}

# File handles: open_by_handle_at opens a file by its inode, past every
# mount and path check (the "shocker" escape); name_to_handle_at makes
# the handles; fanotify reports accesses by handle and watches paths the
# recorder would not see.  All are refused in the filter.  The handle is
# the canary's, made outside the step: a broken filter opens it read only.
probe_handles() {
	local w="$WHO: handles" h op
	canary_make
	h=$("$HPY" "$TOOLS/handle.py" "$CAN/f" 2>/dev/null)
	if [ -n "$h" ]; then
		S -c "$SPY $TOOLS/sys.py open_by_handle_at $h"
		expect_eq "$w: open_by_handle_at refused" "0 open_by_handle_at -1 EPERM" "$RC $OUT"
	else
		echo "$T_NAME: $w: no handle for the canary here; the open_by_handle_at probe is skipped" >&2
	fi
	for op in name_to_handle_at fanotify_init fanotify_mark; do
		S -c "$SPY $TOOLS/sys.py $op $CAN/f"
		expect_eq "$w: $op refused" "0 $op -1 EPERM" "$RC $OUT"
	done
	canary_check "$w"
}

# TIOCSTI: a step must not type into the user's terminal.  The terminal
# is a pseudo-terminal of the test's own (ptyrun.py), so a broken filter
# types into nothing else.  First, whether this kernel lets a process
# type at all (dev.tty.legacy_tiocsti, its privileges); then the step.
probe_tiocsti() {
	local w="$WHO: TIOCSTI" bare got
	if [ "$WHO" = nobody ]; then
		bare=$(cd "$PROJ" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$SPY" "$TOOLS/ptyrun.py" "$SPY" "$TOOLS/sti.py" 2>&1)
		got=$(cd "$PROJ" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env -i PATH=/usr/bin:/bin HOME=/nonexistent \
			"$SPY" "$TOOLS/ptyrun.py" timeout -k 2 20 "$NCAIRN" -c "$SPY $TOOLS/sti.py" 2>&1)
	else
		bare=$(cd "$PROJ" && "$SPY" "$TOOLS/ptyrun.py" "$SPY" "$TOOLS/sti.py" 2>&1)
		got=$(cd "$PROJ" && "$SPY" "$TOOLS/ptyrun.py" timeout -k 2 20 "$CAIRN" -c "$SPY $TOOLS/sti.py" 2>&1)
	fi
	case $bare in
	*typed*) ;;
	*) echo "$T_NAME: $w: this kernel refuses TIOCSTI itself here ([$bare]):" \
		"checking only that the step's keys never arrive" >&2 ;;
	esac
	case $got in
	*"INJECTION SEEN"* | *typed*) fail "$w: a step typed into its terminal: [$got]" ;;
	esac
	expect_match "$w: refused with EPERM" "refused EPERM" "$got"
}

probe_mounts() {
	local w="$WHO: mounts" op
	canary_make
	mkdir -p "$PROJ/mnt" && chown "$(owner)" "$PROJ/mnt"
	MOUNTS_BEFORE=$(mounts_ours)
	[ -n "$MOUNTS_BEFORE" ] || fail "$w: no mounts to compare"
	mount_denied "$w: mount tmpfs on the canary" "mount -t tmpfs $MARK $CAN"
	mount_denied "$w: mount tmpfs in the project" "mount -t tmpfs $MARK mnt && touch mnt/x"
	mount_denied "$w: remount / rw" "mount -o remount,rw / && touch $CAN/f"
	mount_denied "$w: remount /var/tmp rw" "mount -o remount,bind,rw /var/tmp && touch $CAN/f"
	mount_denied "$w: bind mount" "mount --bind $CAN mnt"
	mount_denied "$w: umount /proc" "umount /proc"
	mount_denied "$w: umount -l /proc" "umount -l /proc"
	mount_denied "$w: umount the project overlay" "umount -l $PROJ"
	mount_denied "$w: umount /tmp" "umount -l /tmp"
	mount_denied "$w: unshare -m" "unshare -m mount -t tmpfs $MARK mnt"
	mount_denied "$w: unshare -U then mount" "unshare -Ur mount -t tmpfs $MARK mnt"
	mount_denied "$w: unshare -Um then mount" "unshare -Urm mount -t tmpfs $MARK $CAN"
	for op in mount remount_rw bind umount mount_setattr open_tree move_mount fsopen \
		unshare_mount setns; do
		case $op in
		mount | bind | move_mount | unshare_mount) arg=$CAN ;;
		umount) arg=$PROJ ;;
		*) arg=/ ;;
		esac
		S -c "$GUARD $SPY $TOOLS/sys.py $op $arg"
		unconfined "$w: python $op" || expect_eq "$w: python $op is refused" 0 "$RC"
		mounts_check "$w: python $op"
	done
	# Whatever happened, / and the canary are still read-only afterwards.
	denied "$w: / still read-only" "$SPY $TOOLS/sys.py mount_setattr /; touch $CAN/f"
	S -c 'grep -c " / ro," /proc/self/mountinfo'
	expect_eq "$w: / is mounted read-only inside" 1 "$OUT"
	rmdir "$PROJ/mnt"
}

# --- 6. network ---------------------------------------------------------
probe_net() {
	local w="$WHO: net" port srv
	port=$("$HPY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$HPY" -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 &
	srv=$!
	BG_PIDS+=("$srv")
	for _ in $(seq 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	S -c "exec 3<>/dev/tcp/127.0.0.1/$port && echo connected"
	[ "$RC" -ne 0 ] || fail "$w: a step without #cairn: net reached a host listener"
	expect_eq "$w: record says no network" False "$(REC "j['sandbox']['network']")"
	S -c "$SPY -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:$port/', timeout=3).status)\""
	[ "$RC" -ne 0 ] || fail "$w: python reached a host listener: $OUT"
	S -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'
	expect_eq "$w: only lo in /proc/net/dev" lo "$OUT"
	if command -v ip >/dev/null; then
		S -c 'ip -o link | cut -d: -f2 | tr -d " "'
		expect_eq "$w: only lo in ip link" lo "$OUT"
		S -c "case '$HOST_NET' in \$(readlink /proc/self/ns/net)) exit 99;; esac; ip link add cairnabuse type dummy"
		unconfined "$w: ip link add" || [ "$RC" -ne 0 ] || fail "$w: a step created a network link"
		ip link show cairnabuse >/dev/null 2>&1 &&
			{ fail "$w: a network link leaked to the host"; ip link del cairnabuse; }
	fi
	S -c $'#cairn: net\n'"exec 3<>/dev/tcp/127.0.0.1/$port && echo connected"
	expect_eq "$w: with #cairn: net the listener is reached" "0 connected" "$RC $OUT"
	expect_eq "$w: record says network" True "$(REC "j['sandbox']['network']")"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	# A Unix socket outside the project: the step must not talk to host
	# services (docker.sock, ssh-agent, dbus) through the filesystem;
	# an abstract one is in the network namespace.
	canary_make
	local sock=$CAN.sock
	rm -f "$sock"
	"$HPY" -c "
import socket, sys, os
s = socket.socket(socket.AF_UNIX); s.bind('$sock'); os.chmod('$sock', 0o777); s.listen(4)
a = socket.socket(socket.AF_UNIX); a.bind('\0$MARK'); a.listen(4)
open('$SCR/ready', 'w').close()
import select
while True:
    for r in select.select([s, a], [], [], 30)[0]:
        c, _ = r.accept()
        print('accepted', 'abstract' if r is a else 'path', flush=True)
" >"$SCR/unix.log" 2>&1 &
	srv=$!
	BG_PIDS+=("$srv")
	for _ in $(seq 300); do [ -e "$SCR/ready" ] && break; sleep 0.1; done
	S -c "$SPY $TOOLS/unix.py @$MARK"
	[ "$RC" -ne 0 ] || fail "$w: a step reached an abstract Unix socket of the host"
	S -c "$SPY $TOOLS/unix.py $sock"
	[ "$RC" -ne 0 ] || fail "$w: a step reached a Unix socket of the host at $sock"
	sleep 0.2
	grep -q accepted "$SCR/unix.log" && fail "$w: the host accepted: $(tr '\n' ' ' <"$SCR/unix.log")"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	rm -f "$sock" "$SCR/ready"
}
