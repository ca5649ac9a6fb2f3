#!/bin/bash
# What a step read and wrote, as its record shows: every kind of read,
# reads through descriptors and symlinks, static binaries, threads, the
# exec tree, /tmp and $HOME.
. "$TEST_SRC/test/integration/lib.sh"

echo data > in.txt
mkdir -p dir && touch dir/a dir/b
ln -s in.txt link
echo log > log.txt

run_cairn -c 'cat link > out.txt; ls dir > /dev/null; [ -e missing.txt ]; readlink link >/dev/null; test -s in.txt; echo more >> log.txt; exec 3<in.txt; cat /dev/fd/3 > /dev/null'
expect_eq "status" 0 "$RC"
expect_eq "file read through a symlink" "file" "$(rec @1 'reads()["in.txt"]["kind"]')"
expect_eq "its hash" "$(sha256sum < in.txt | cut -c1-64)" "$(rec @1 'reads()["in.txt"]["sha256"]')"
expect_eq "the symlink is a read" "symlink in.txt" "$(rec @1 'reads()["link"]["kind"] + " " + reads()["link"]["target"]')"
expect_eq "listed directory" "dir 2" "$(rec @1 'reads()["dir"]["kind"] + " " + str(reads()["dir"]["entries"])')"
expect_eq "listing hash (sorted names)" "$(printf 'a\nb' | sha256sum | cut -c1-64)" \
	"$(rec @1 'reads()["dir"]["sha256"]')"
expect_eq "absent path" absent "$(rec @1 'reads()["missing.txt"]["kind"]')"
expect_eq "appended file is read first" file "$(rec @1 'reads()["log.txt"]["kind"]')"
expect_eq "appended file is written" file "$(rec @1 'writes()["log.txt"]["kind"]')"
expect_eq "outputs are not inputs" False "$(rec @1 '"out.txt" in reads()')"
expect_eq "programs executed" True "$(rec @1 'any(x["path"].endswith("/cat") and x["kind"] == "exec" for x in r["reads"])')"
expect_eq "the store is never a read" False "$(rec @1 'any(p.startswith(".cairn") for p in reads())')"
expect_eq "exec tree: cat under the shell" True \
	"$(rec @1 'any(p["argv"][:1] == ["cat"] and p["ppid"] == r["exec_tree"][0]["pid"] for p in r["exec_tree"])')"
expect_eq "exec tree: exe hashed" True "$(rec @1 'all(len(p["exe_sha256"] or "") == 64 for p in r["exec_tree"])')"
expect_eq "resources" True "$(rec @1 'r["resources"]["wall_s"] > 0 and r["resources"]["max_rss_kb"] > 0')"

# A read through a descriptor (named by /proc/self/fd).
run_cairn -c 'exec 4<dir/a; cat /proc/self/fd/4 >/dev/null'
expect_eq "read through /proc/self/fd" file "$(rec @1 'reads()["dir/a"]["kind"]')"

# Nested programs: the tree links each to its parent.
run_cairn -c 'sh -c "sh -c true"'
expect_eq "nested exec tree" "['bash', 'sh', 'sh']" \
	"$(rec @1 'sorted(p["argv"][0] for p in r["exec_tree"])')"
expect_eq "parents" True "$(rec @1 'len({p["ppid"] for p in r["exec_tree"]}) == 3')"

# Threads and a static binary.
if command -v python3 >/dev/null; then
	run_cairn -c "python3 -c 'import threading
def f(n): open(\"dir/\" + n).read()
ts = [threading.Thread(target=f, args=(n,)) for n in \"ab\"]
[t.start() for t in ts]; [t.join() for t in ts]'"
	expect_eq "threads: both reads" "file file" "$(rec @1 'reads()["dir/a"]["kind"] + " " + reads()["dir/b"]["kind"]')"
fi
if command -v cc >/dev/null && printf 'int main(){return 0;}' | cc -static -x c -o /dev/null - 2>/dev/null; then
	cat > st.c <<'C'
#include <fcntl.h>
#include <unistd.h>
int main(void) { char b[8]; int fd = open("in.txt", O_RDONLY); return read(fd, b, 8) > 0 ? 0 : 1; }
C
	cc -static -o st st.c
	rm -f st.c
	run_cairn -c './st'
	expect_eq "static binary: status" 0 "$RC"
	expect_eq "static binary: its read" file "$(rec @1 'reads()["in.txt"]["kind"]')"
	expect_eq "static binary: executed" exec "$(rec @1 'reads()["st"]["kind"]')"
else
	echo "t_trace: no static linking here; the static binary probe is skipped" >&2
fi

# Extended attributes, statfs and inotify watches look a path up: each is
# a read.  The attributes read are part of the read's identity: setting
# one makes the step run again.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
echo x > xa.txt
echo s > fs.txt
echo w > watched.txt
if "$PY" -c 'import os; os.setxattr("xa.txt", "user.cairn", b"1")' 2>/dev/null; then
	xcmd="$PY -c 'import os; print(os.getxattr(\"xa.txt\", \"user.cairn\").decode())'; stat -f -c %T fs.txt >/dev/null; $PY -c 'import ctypes; c = ctypes.CDLL(None); assert c.inotify_add_watch(c.inotify_init1(0), b\"watched.txt\", 2) > 0'"
	run_cairn -c "$xcmd"
	expect_eq "xattr: status and value" "0 1" "$RC $OUT"
	expect_eq "xattr: the file is a read with its attributes" "stat True" \
		"$(rec @1 'reads()["xa.txt"]["kind"] + " " + str(len(reads()["xa.txt"].get("xattrs") or "") == 64)')"
	expect_eq "statfs: a stat read" stat "$(rec @1 'reads()["fs.txt"]["kind"]')"
	expect_eq "inotify_add_watch: a stat read" stat "$(rec @1 'reads()["watched.txt"]["kind"]')"
	run_cairn -c "$xcmd"
	expect_eq "xattr: unchanged, served" "1 True" "$OUT $(rec @1 'r["cached"]')"
	"$PY" -c 'import os; os.setxattr("xa.txt", "user.cairn", b"2")'
	run_cairn -c "$xcmd"
	expect_eq "xattr: a changed attribute runs the step again" "2 False" "$OUT $(rec @1 'r["cached"]')"
	run_cairn why @1
	expect_match "xattr: why names the change" "xa.txt: extended attributes changed" "$OUT"
else
	echo "$T_NAME: this file system takes no user extended attributes; the xattr probe is skipped" >&2
fi

# Reads whose content differs from run to run are named in the record
# (`nondeterministic`), and `why` says so; the step is still cached.
run_cairn -c 'od -An -N8 -tx1 /dev/urandom >/dev/null; cat /proc/loadavg >/dev/null; echo r > rnd.txt'
expect_eq "nondeterministic reads" "['/dev/urandom', '/proc/loadavg']" "$(rec @1 'r["nondeterministic"]')"
run_cairn why @1
expect_match "why: names /dev/urandom" "read /dev/urandom: its output may differ from run to run" "$OUT"
run_cairn -c 'od -An -N8 -tx1 /dev/urandom >/dev/null; cat /proc/loadavg >/dev/null; echo r > rnd.txt'
got="$(rec @1 'r["cached"]') $(rec @1 'r["nondeterministic"]')"
[ "${got%% *}" = True ] || echo "$T_NAME: not cached: $("$CAIRN" why @1 2>&1); first run: $("$CAIRN" why @2 2>&1)" >&2
expect_eq "nondeterministic: still cached, and named" "True ['/dev/urandom', '/proc/loadavg']" "$got"
run_cairn -c 'echo plain > plain.txt'
expect_eq "nondeterministic: none" "[]" "$(rec @1 'r["nondeterministic"]')"

# A #! script whose interpreter is a #! script: every interpreter down
# to the program that runs, and that program's ELF loader, are reads
# (the kernel opens them itself, without a system call).  The innermost
# interpreter here is echo, which opens none of the scripts.
printf '#!%s/wrap1\n' "$T_DIR" > tool
printf '#!%s/wrap2\n' "$T_DIR" > wrap1
printf '#!/bin/echo v1\n' > wrap2
chmod +x tool wrap1 wrap2
echo_real=$(readlink -f /bin/echo)
run_cairn -c './tool'
expect_eq "nested #!: ran" "0 v1 $T_DIR/wrap2 $T_DIR/wrap1 ./tool" "$RC $OUT"
expect_eq "nested #!: every interpreter is an exec read" "exec exec exec exec" \
	"$(rec @1 '" ".join(reads().get(p, {}).get("kind", "none") for p in ("tool", "wrap1", "wrap2", sys.argv[2]))' "$echo_real")"
printf '#!/bin/echo v2\n' > wrap2
run_cairn -c './tool'
expect_eq "nested #!: editing the inner interpreter runs the step again" "v2 False" \
	"${OUT%% *} $(rec @1 'r["cached"]')"
loader=$(readlink -f /lib64/ld-linux-x86-64.so.2 2>/dev/null)
if command -v cc >/dev/null && [ -f "$loader" ] &&
	printf 'int main(void){return 0;}' | cc -x c -o /dev/null - 2>/dev/null; then
	# A program with a loader of its own (a copy), run as a #! interpreter.
	cp "$loader" myld.so
	printf '#include <stdio.h>\nint main(int c, char **v) { printf("prog %%d\\n", c); return 0; }\n' > prog.c
	cc -o prog prog.c -Wl,--dynamic-linker="$T_DIR/myld.so"
	rm -f prog.c
	printf '#!%s/prog\n' "$T_DIR" > tool2
	chmod +x tool2
	run_cairn -c './tool2'
	expect_eq "#! to ELF: ran" "0 prog 2" "$RC $OUT"
	expect_eq "#! to ELF: its loader is a read" file "$(rec @1 'reads()["myld.so"]["kind"]')"
	printf '\0' >> myld.so
	run_cairn -c './tool2'
	expect_eq "#! to ELF: a changed loader runs the step again" "0 prog 2 False" \
		"$RC $OUT $(rec @1 'r["cached"]')"
else
	echo "$T_NAME: no C compiler or no /lib64 loader; the #! to ELF loader probe is skipped" >&2
fi

# /tmp is the session's: shared by its steps, recorded, gone afterwards.
run_cairn -c 'echo t > /tmp/cairn-trace-probe.txt
cat /tmp/cairn-trace-probe.txt'
expect_eq "/tmp: shared between steps" t "$OUT"
expect_eq "/tmp: the write is recorded" file "$(rec @2 'writes()["/tmp/cairn-trace-probe.txt"]["kind"]')"
expect_eq "/tmp: the read too" file "$(rec @1 'reads()["/tmp/cairn-trace-probe.txt"]["kind"]')"
[ -e /tmp/cairn-trace-probe.txt ] && { fail "/tmp: a step's file reached the host's /tmp"; rm -f /tmp/cairn-trace-probe.txt; }

# $HOME: readable, writes private to the session and listed.
home=$(mktemp -d /tmp/cairn-home.XXXXXX)
echo cfg > "$home/.toolrc"
out=$(HOME=$home "$CAIRN" -c 'cat ~/.toolrc; echo w > ~/.written; cat ~/.written' 2>&1)
expect_eq "home: read and write within the session" "cfg
w" "$out"
[ -e "$home/.written" ] && fail "home: a step's write reached the real home"
expect_eq "home: the read is recorded with its content" "file $(sha256sum < "$home/.toolrc" | cut -c1-64)" \
	"$(rec @1 'reads()[sys.argv[2]]["kind"] + " " + reads()[sys.argv[2]]["sha256"]' "$home/.toolrc")"
expect_eq "home: the write is listed" True "$(rec @1 'any(p.endswith("/.written") for p in r["sandbox"]["home_writes"])')"
# Reading attributes is no write: the step stays cacheable.
HOME=$home "$CAIRN" -c "$PY -c 'import os; os.listxattr(os.path.expanduser(\"~/.toolrc\"))'" >/dev/null 2>&1
expect_eq "home: reading attributes is no write" "0 []" \
	"$(rec @1 'r["exit_status"]') $(rec @1 'r["sandbox"]["home_writes"]')"
rm -rf "$home"

# ".." after a symlink pops the link's target, as the kernel does, not
# the link's name: link/../params.txt is ext/params.txt.  A change there
# must run the step again.
mkdir -p ext/sub
echo ext-one > ext/params.txt
echo project > params.txt
ln -s ext/sub dotlink
run_cairn -c 'cat dotlink/../params.txt'
expect_eq "..: read through the link's target" ext-one "$OUT"
expect_eq "..: the read is the target's sibling" \
	"file $(sha256sum < ext/params.txt | cut -c1-64)" \
	"$(rec @1 'reads()["ext/params.txt"]["kind"] + " " + reads()["ext/params.txt"]["sha256"]')"
expect_eq "..: not the link's sibling" False "$(rec @1 '"params.txt" in reads()')"
expect_eq "..: the link is a read" "symlink ext/sub" \
	"$(rec @1 'reads()["dotlink"]["kind"] + " " + reads()["dotlink"]["target"]')"
echo ext-two > ext/params.txt
run_cairn -c 'cat dotlink/../params.txt'
expect_eq "..: a changed target's sibling is read again" ext-two "$OUT"
expect_eq "..: not served from the cache" False "$(rec @1 'r["cached"]')"

# Paths the step changed itself: a read through a symlink the step made
# reads the link's target, in the step's own view at that moment.
mkdir -p big
seq 3 > big/big.csv
run_cairn -c 'ln -sf big/big.csv input.csv && wc -l < input.csv'
expect_eq "own symlink: read through it" 3 "$OUT"
expect_eq "own symlink: the target is a read, with its content" \
	"file $(sha256sum < big/big.csv | cut -c1-64)" \
	"$(rec @1 'reads()["big/big.csv"]["kind"] + " " + reads()["big/big.csv"]["sha256"]')"
expect_eq "own symlink: the link itself is no input" False "$(rec @1 '"input.csv" in reads()')"
seq 5 > big/big.csv
# Now input.csv is there: ln -sf replaces it (a temporary link renamed
# over it).
run_cairn -c 'ln -sf big/big.csv input.csv && wc -l < input.csv'
expect_eq "own symlink: a changed target is read again" 5 "$OUT"
expect_eq "own symlink: not served from the cache" False "$(rec @1 'r["cached"]')"
expect_eq "own symlink, replaced: the target is a read" \
	"file $(sha256sum < big/big.csv | cut -c1-64)" \
	"$(rec @1 'reads()["big/big.csv"]["kind"] + " " + reads()["big/big.csv"]["sha256"]')"
run_cairn -c 'ln -sf big/big.csv input.csv && wc -l < input.csv'
expect_eq "own symlink: unchanged, served from the cache" True "$(rec @1 'r["cached"]')"
# A directory the step renamed: what is read below the new name came
# from the old one.
run_cairn -c 'ln -s big blink && mv blink bmoved && cat bmoved/big.csv | wc -l; rm bmoved'
expect_eq "renamed link: read through it" 5 "$OUT"
expect_eq "renamed link: the target is a read" file "$(rec @1 'reads()["big/big.csv"]["kind"]')"
# A symlink from before the step, renamed: reads through its new name
# read its target.  (A directory from before the step cannot be renamed
# on the overlay: mv copies it, reading every file.)
ln -s big/big.csv plink
run_cairn -c 'mv plink p2 && wc -l < p2 && mv p2 plink'
expect_eq "renamed old link: read through it" 5 "$OUT"
expect_eq "renamed old link: the target is a read" \
	"file $(sha256sum < big/big.csv | cut -c1-64)" \
	"$(rec @1 'reads()["big/big.csv"]["kind"] + " " + reads()["big/big.csv"]["sha256"]')"
seq 7 > big/big.csv
run_cairn -c 'mv plink p2 && wc -l < p2 && mv p2 plink'
expect_eq "renamed old link: a changed target is read again" 7 "$OUT"
expect_eq "renamed old link: not served from the cache" False "$(rec @1 'r["cached"]')"
# What the step wrote itself stays no input, through its own link too.
run_cairn -c 'echo mine > own.txt && ln -s own.txt ownlink && cat ownlink; rm ownlink own.txt'
expect_eq "own file through own link" mine "$OUT"
expect_eq "own file through own link: no input" False \
	"$(rec @1 '"own.txt" in reads() or "ownlink" in reads()')"

# Unsandboxed only when asked, and the record says so.
run_cairn --no-sandbox -c 'echo u > u.txt'
expect_eq "--no-sandbox: ran" u "$(cat u.txt)"
expect_eq "--no-sandbox: recorded as such" False "$(rec @1 'r["sandbox"]["sandboxed"]')"

# A directory an earlier step left open (`exec 3<.`): a later step's
# writes through it are its own, in its own view -- they used to go
# through the earlier step's overlay, recorded as refused ("/x").
phase "a directory descriptor carried from an earlier step"
rm -f carried.txt
printf 'exec 3<.\necho hi > /proc/self/fd/3/carried.txt\ncat carried.txt\n' >carry.sh
run_cairn run carry.sh
expect_eq "carried dir: the step's output" "0 hi" "$RC $OUT"
expect_eq "carried dir: no false refusal" "" "$(grep refused <<<"$ERR")"
expect_eq "carried dir: the write is the second step's" "True" \
	"$(rec @2 '"carried.txt" in writes() and not r["sandbox"]["refused"]')"
printf '#!/bin/sh\nexec 3<.\necho sh > /proc/self/fd/3/carried.txt\ncat carried.txt\n' >carry-sh.sh
run_cairn run carry-sh.sh
expect_eq "carried dir, sh: the step's output" "0 sh" "$RC $OUT"
expect_eq "carried dir, sh: no false refusal" "" "$(grep refused <<<"$ERR")"
rm -f carry.sh carry-sh.sh carried.txt

# A symlink the step made inside a directory it made before its first
# symlink (a temporary directory, most often): the read through it is of
# the target (it was recorded as "absent w/l/f" and served stale).
phase "symlinks in directories the step made"
cached_pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}
mkdir -p tgt tgta && echo X1 >tgt/f && echo A1 >tgta/f
for body in 'mkdir w; ln -s ../tgt w/l; cat w/l/f; rm -rf w' \
	't=$(mktemp -d); ln -s $PWD/tgt $t/l; cat $t/l/f; rm -rf $t'; do
	echo X1 >tgt/f
	printf '%s\n' "$body" >mk.sh
	run_cairn run mk.sh
	echo X2 >tgt/f
	run_cairn run mk.sh
	expect_eq "step-made dir and link ($body): the new target read" "X2 r" "$OUT $(cached_pattern 1)"
done
rm -rf lnk && ln -s tgta lnk
printf 'rm lnk; mkdir lnk; echo own > lnk/f; cat lnk/f; rm -r lnk; ln -s tgta lnk; cat lnk/f\n' >mk.sh
run_cairn run mk.sh
echo A2 >tgta/f
rm -rf lnk && ln -s tgta lnk
run_cairn run mk.sh
expect_eq "a link removed, a dir in its place, the link again: the target read" "own A2 r" \
	"$(echo $OUT) $(cached_pattern 1)"
rm -rf tgt tgta lnk mk.sh

done_testing
