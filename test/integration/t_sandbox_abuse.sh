#!/bin/bash
# ctest-labels: slow security
# Abuse tests of the sandbox (DESIGN.md section 4), run by whoever runs
# the tests (root on CI): each probe tries to get out of a step and
# checks a harmless canary; t_sandbox_abuse2.sh repeats the essential
# ones as `nobody`.  See abuse_lib.sh for how canaries are made, checked
# and restored.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/abuse_lib.sh"

PROJ=$T_DIR
tools_make
ME=$(id -u)

# --- 1, 2, 3, 6: outside the project, the store, mounts, network -------
probe_outside
probe_store
probe_mounts
probe_net
probe_nested
probe_handles
probe_tiocsti

# --- 4. hostname --------------------------------------------------------
host_name=$(cat /proc/sys/kernel/hostname)
hostname_check() {
	local now
	now=$(cat /proc/sys/kernel/hostname)
	if [ "$now" != "$host_name" ]; then
		fail "$1: the host's name changed to $now"
		[ "$ME" -eq 0 ] && echo "$host_name" >/proc/sys/kernel/hostname
	fi
}
S -c "$GUARD hostname $MARK"
unconfined hostname || [ "$RC" -ne 0 ] || fail "hostname: the step could set its name"
hostname_check "hostname"
S -c "$GUARD $SPY $TOOLS/sys.py sethostname $MARK"
unconfined sethostname || expect_eq "hostname: sethostname refused" 0 "$RC"
hostname_check "sethostname"
S -c "$GUARD echo $MARK > /proc/sys/kernel/hostname"
hostname_check "hostname through /proc/sys"
# A namespace of its own is refused (probe_nested); the name stays.
S -c "$GUARD unshare -Uur sh -c 'hostname $MARK; hostname'"
hostname_check "hostname after unshare -u"
S -c 'hostname'
expect_eq "hostname: steps see the host's name" "$host_name" "$OUT"

# --- 4b. kernel settings (sysctl) -----------------------------------------
# A step must not change global kernel settings through its /proc/sys.
# The canary is vm.overcommit_ratio, which means nothing while
# vm.overcommit_memory is not 2; it is put back if the step changed it.
if [ "$(cat /proc/sys/vm/overcommit_memory)" != 2 ]; then
	ratio=$(cat /proc/sys/vm/overcommit_ratio)
	S -c "echo $((ratio + 1)) > /proc/sys/vm/overcommit_ratio"
	now=$(cat /proc/sys/vm/overcommit_ratio)
	if [ "$now" != "$ratio" ]; then
		fail "sysctl: a step changed vm.overcommit_ratio on the host ($ratio -> $now)"
		echo "$ratio" >/proc/sys/vm/overcommit_ratio
	fi
	[ "$RC" -ne 0 ] || fail "sysctl: writing /proc/sys/vm/overcommit_ratio succeeded"
else
	echo "$T_NAME: skipping the sysctl probe: vm.overcommit_memory is 2" >&2
fi
# /sys is read-only: write back the value it has (a no-op if it got through).
thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$thp" ]; then
	cur=$(sed 's/.*\[\(.*\)\].*/\1/' "$thp")
	S -c "echo $cur > $thp"
	[ "$RC" -ne 0 ] || fail "sysfs: a step wrote $thp"
fi

# --- 5. processes -----------------------------------------------------------
sleep 299.$$ &
victim=$!
BG_PIDS+=("$victim")
if [ "$victim" -gt 100 ] && [ $$ -gt 100 ]; then
	S -c "kill -0 $$"
	[ "$RC" -ne 0 ] || fail "pid: kill -0 of the test's pid succeeded"
	S -c "kill -0 $PPID"
	[ "$RC" -ne 0 ] || fail "pid: kill -0 of the test's parent succeeded"
	S -c "kill -9 $victim"
	[ "$RC" -ne 0 ] || fail "pid: kill -9 of a host process succeeded"
	S -c "$SPY $TOOLS/sys.py kill $victim"
	expect_eq "pid: kill(2) of a host process refused" 0 "$RC"
	kill -0 "$victim" 2>/dev/null || fail "pid: a step killed a process of the host"
fi
S -c 'ps ax -o pid=,args='
grep -q "299\.$$" <<<"$OUT" && fail "pid: ps in a step shows the host's processes"
[ "$(wc -l <<<"$OUT")" -le 6 ] || fail "pid: ps in a step shows more than the step: $OUT"
S -c 'ls /proc | grep -c "^[0-9]"'
[ "$OUT" -le 6 ] || fail "pid: /proc of a step lists $OUT processes"
S -c "$GUARD $SPY $TOOLS/sys.py ptrace1"
unconfined ptrace || expect_eq "pid: ptrace of pid 1 refused" 0 "$RC"
if command -v strace >/dev/null; then
	S -c "$GUARD timeout 5 strace -p 1 -o /dev/null"
	unconfined strace || [ "$RC" -ne 0 ] || fail "pid: strace -p 1 succeeded"
fi
S -c 'cat /proc/1/environ /proc/1/mem'
[ "$RC" -ne 0 ] || fail "pid: reading pid 1's memory succeeded"
S -c 'echo after the probes'
expect_eq "pid: the step runner survived" "0 after the probes" "$RC $OUT"
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

# --- 7. io_uring and other ABIs ---------------------------------------------
for op in io_uring_setup io_uring_enter io_uring_register; do
	S -c "$SPY $TOOLS/sys.py $op"
	expect_eq "io_uring: $op is ENOSYS" "0 $op -1 ENOSYS" "$RC $OUT"
done
if command -v cc >/dev/null; then
	cat >"$TOOLS/abi.c" <<'C'
/* abi MODE: getpid through the 64-bit ABI or the x32 ABI; for int80,
 * write(2) through the i386 ABI of "int80 ran" to standard output from a
 * buffer below 4 GiB, so that the call running shows in the output. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	long r;
	if (!strcmp(m, "int80")) {
		char *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (b == MAP_FAILED)
			return 3;
		strcpy(b, "int80 ran\n");
		fflush(stdout);
		__asm__ volatile("int $0x80" : "=a"(r)
				 : "a"(4L), "b"(1L), "c"((long)b), "d"((long)strlen(b))
				 : "memory", "r8", "r9", "r10", "r11");
	} else if (!strcmp(m, "x32"))
		__asm__ volatile("syscall" : "=a"(r) : "a"(0x40000000L | 39L) : "rcx", "r11", "memory");
	else
		__asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
	printf("survived %ld\n", r);
	return 0;
}
C
	if [ "$(uname -m)" = x86_64 ] && cc -O0 -o "$TOOLS/abi" "$TOOLS/abi.c" 2>"$SCR/cc.err"; then
		S -c "$TOOLS/abi native"
		expect_match "abi: native getpid works" "^survived [0-9]+$" "$OUT"
		S -c "$TOOLS/abi x32"
		expect_eq "abi: x32 is killed with SIGSYS" "159 " "$RC $OUT"
		expect_eq "abi: x32 recorded" 159 "$(REC "j['exit_status']")"
		# An i386 call must never run.  With IA-32 emulation the filter
		# kills it (SIGSYS); a kernel without it refuses int 0x80 itself
		# (SIGSEGV) before any filter sees the call.
		bare=$("$TOOLS/abi" int80 2>/dev/null)
		S -c "$TOOLS/abi int80"
		# (It prints "int80 ran" when the call ran, then "survived N".)
		if [ "${bare%%$'\n'*}" = "int80 ran" ]; then
			echo "$T_NAME: IA-32 emulation on: the filter must kill int 0x80" >&2
			expect_eq "abi: int80 is killed with SIGSYS" "159 " "$RC $OUT"
		else
			echo "$T_NAME: no IA-32 emulation in this kernel (int 0x80 outside" \
				"a step: [$(printf '%s' "$bare" | tr '\n' ' ')]): checking only" \
				"that the call never runs" >&2
			[ "$RC" = 159 ] || [ "$RC" = 139 ] ||
				fail "abi: int80 not killed by SIGSYS or SIGSEGV: status $RC"
			expect_eq "abi: int80 never ran" "" "$OUT"
		fi
		expect_eq "abi: int80 recorded" "$RC" "$(REC "j['exit_status']")"
		S -c "$TOOLS/abi int80; $TOOLS/abi x32; echo next"
		expect_eq "abi: the shell survives its children's SIGSYS" "0 next" "$RC $OUT"
	else
		echo "$T_NAME: skipping the ABI probes: cannot compile for x86_64 $(cat "$SCR/cc.err")" >&2
	fi
else
	echo "$T_NAME: skipping the ABI probes: no C compiler" >&2
fi

# --- 8. no-new-privs and setuid -------------------------------------------
S -c 'grep NoNewPrivs /proc/self/status'
expect_match "nnp: NoNewPrivs is set" "^NoNewPrivs:[[:space:]]+1$" "$OUT"
if [ "$ME" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	# A setuid-nobody id in the project: outside a step it makes root
	# nobody (so the probe can fail); inside, the bit does nothing.
	cp "$(command -v id)" "$PROJ/suid-id"
	chown nobody "$PROJ/suid-id"
	chmod 4755 "$PROJ/suid-id"
	expect_eq "setuid: works outside a step" 65534 "$("$PROJ/suid-id" -u)"
	S -c './suid-id -u'
	expect_eq "setuid: ignored inside a step" "0 0" "$RC $OUT"
	rm -f "$PROJ/suid-id"
else
	echo "$T_NAME: skipping the setuid probe: only root can make a setuid program of" \
		"another user (t_sandbox_abuse2.sh makes it when run by root)" >&2
fi

# --- 9. the step's processes die with cairn ------------------------------
marker=301.$$
(cd "$PROJ" && exec "$CAIRN" -c "sleep $marker") >/dev/null 2>&1 </dev/null &
cpid=$!
BG_PIDS+=("$cpid")
for _ in $(seq 600); do
	pgrep -f "^sleep $marker\$" >/dev/null && break
	sleep 0.05
done
spid=$(pgrep -f "^sleep $marker\$")
if [ -z "$spid" ]; then
	fail "die with cairn: the step's sleep never started"
else
	kill -9 "$cpid"
	wait "$cpid" 2>/dev/null
	for _ in $(seq 200); do
		pgrep -f "$marker" >/dev/null || break
		sleep 0.05
	done
	if pgrep -f "$marker" >/dev/null; then
		fail "die with cairn: still running 10 s after kill -9 of cairn: $(pgrep -af "$marker")"
		kill -9 $(pgrep -f "$marker")
	fi
fi
S -c 'echo recovered'
expect_eq "die with cairn: the next session runs" "0 recovered" "$RC $OUT"
# A step ends when all its processes have (docs/shell.md), so a daemon
# that detaches cannot outlive it: with a timeout, it goes with the step.
start=$(date +%s%N)
S -c $'#cairn: timeout=1\n(setsid sleep '"$marker"$' &); nohup sleep '"$marker"$' >/dev/null 2>&1 &'
took=$((($(date +%s%N) - start) / 1000000))
expect_eq "daemon: the step is stopped (status)" 137 "$RC"
# (the sleeps last 300 s: well under that, the timeout ended the step,
# however loaded the machine)
[ "$took" -lt 60000 ] || fail "daemon: the step took $took ms"
sleep 0.2
if pgrep -f "^sleep $marker\$" >/dev/null; then
	fail "daemon: a step's process outlived the step: $(pgrep -af "$marker")"
	kill -9 $(pgrep -f "$marker")
fi

# --- 10. limits ---------------------------------------------------------------
printf '#cairn: timeout=1\nsleep 30\n' >"$SCR/t.sh"
start=$(date +%s%N)
S -c "$(cat "$SCR/t.sh")"
took=$((($(date +%s%N) - start) / 1000000))
expect_eq "timeout: status" 137 "$RC"
expect_match "timeout: message" "stopped after 1 s \\(#cairn: timeout=1\\)" "$ERR"
[ "$took" -lt 25000 ] || fail "timeout: the step took $took ms (sleep 30 was not cut short)"
expect_eq "timeout: record" "1 None True 9" \
	"$(REC "j['sandbox']['limits']['timeout_s'], j['sandbox']['limits']['mem_bytes'], j['interrupted'], j['signal']")"
S -c $'#cairn: mem=64M timeout=30\n'"$SPY -c 'b = bytearray(512 << 20); b[::4096] = b\"x\" * len(b[::4096]); print(\"allocated\")'"
[ "$RC" -ne 0 ] || fail "mem: 512 MB under mem=64M succeeded"
[ "$OUT" = allocated ] && fail "mem: the allocation went through"
expect_eq "mem: record has both limits, the memory limit in force" "30 67108864 True" \
	"$(REC "j['sandbox']['limits']['timeout_s'], j['sandbox']['limits']['mem_bytes'], j['sandbox']['limits']['mem_limited']")"
# A sanitizer build of cairn cannot run under a small data limit itself
# (the step's main process is cairn until it runs the shell).
small_ok=1
if ! command -v prlimit >/dev/null; then
	small_ok=0
	echo "$T_NAME: skipping the small-limit probes: no prlimit" >&2
elif ! bash -c 'prlimit --data=100000000 "$1" --version; exit $?' _ "$CAIRN" >/dev/null 2>&1; then
	small_ok=0
	echo "$T_NAME: skipping the small-limit probes: cairn itself cannot start" \
		"under a 100 MB data limit (a sanitizer build reserves more)" >&2
fi
# The limit is the step's, not a change of the shell's state: the next
# step has the session's own limit again.
if [ $small_ok = 1 ]; then
	S -c $'#cairn: mem=64M\nulimit -d\nulimit -d'
	want=$(ulimit -d)
	expect_eq "mem: the limit is the step's alone" "0 65536
$want" "$RC $OUT"
fi
# A hard limit already stricter than mem= is kept (the step never gets
# more than cairn has).
if [ $small_ok = 1 ]; then
	got=$(cd "$PROJ" && prlimit --data=100000000 "$CAIRN" -c $'#cairn: mem=4G\nulimit -d' 2>&1 </dev/null)
	expect_eq "mem: a stricter hard limit stays" "97656" "$got"
fi

done_testing
