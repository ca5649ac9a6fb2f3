#!/bin/bash
# ctest-labels: security
# The private mount that shows the step's program at the script's path
# must never be visible outside the step, must not change the script,
# and must be gone before the script's own commands read "$0".
. "$TEST_SRC/test/integration/lib.sh"

cat > self.sh <<'S'
#!/bin/bash
# line two of the real script
x=1
sed -n 2p "$0"
grep -c "^# line two" "$0"
echo "${BASH_SOURCE[0]}"
f() { nosuch_in_f; }
f
S
before=$(sha256sum self.sh)
run_cairn run self.sh
expect_eq "self-read status" 127 "$RC"
expect_eq "self-read output" "# line two of the real script
1
self.sh" "$OUT"
expect_eq "function error names the script" "self.sh: line 7: nosuch_in_f: command not found" "$ERR"
expect_eq "script unchanged" "$before" "$(sha256sum self.sh)"
if grep -q "$T_DIR" /proc/self/mountinfo; then
	fail "a mount under the test directory leaked to the host: $(grep "$T_DIR" /proc/self/mountinfo)"
fi

# By absolute path: the private bind mount (and a user namespace when
# not root) instead of the staged copy; the same results.
run_cairn run "$T_DIR/self.sh"
expect_eq "absolute: status" 127 "$RC"
expect_eq "absolute: output" "# line two of the real script
1
$T_DIR/self.sh" "$OUT"
expect_eq "absolute: function error" "$T_DIR/self.sh: line 7: nosuch_in_f: command not found" "$ERR"
expect_eq "absolute: script unchanged" "$before" "$(sha256sum self.sh)"
if grep -q "$T_DIR" /proc/self/mountinfo; then
	fail "absolute: a mount leaked to the host: $(grep "$T_DIR" /proc/self/mountinfo)"
fi

# Abuse: as root, a step that mounts something must not change the host's
# mount table: the sandbox refuses mount(2) (and the step's mount
# namespace is a slave of ours besides).  The canary is a tmpfs on an
# empty directory; should it leak, undo it and fail.
if [ "$(id -u)" -eq 0 ]; then
	mkdir canary
	cat > "$T_DIR/mounter.sh" <<S
mount -t tmpfs cairn-canary "$T_DIR/canary" 2>/dev/null && touch "$T_DIR/canary/inside"; echo "mounted in step: \$(grep -c cairn-canary /proc/self/mounts)"
S
	run_cairn run "$T_DIR/mounter.sh"
	expect_eq "mount refused inside the step" "mounted in step: 0" "$OUT"
	if grep -q cairn-canary /proc/self/mounts; then
		fail "a mount made inside a step leaked to the host"
		umount "$T_DIR/canary" 2>/dev/null || umount -l "$T_DIR/canary"
	fi
	[ -e canary/inside ] && fail "a file written on the step's mount shows on the host"
fi

# The same as an ordinary user, when we are root and `nobody` exists.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	ndir=$(mktemp -d /tmp/cairn-nobody.XXXXXX)
	chmod 755 "$ndir"
	cp "$CAIRN" "$ndir/cairn"
	cp self.sh "$ndir/self.sh"
	chmod 755 "$ndir/cairn"
	chmod 644 "$ndir/self.sh"
	mkdir "$ndir/.cairn"
	chown nobody "$ndir" "$ndir/.cairn"
	out=$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent ./cairn run self.sh 2>"$ndir/err")
	rc=$?
	expect_eq "as nobody: status" 127 "$rc"
	expect_eq "as nobody: output" "# line two of the real script
1
self.sh" "$out"
	expect_eq "as nobody: function error" "self.sh: line 7: nosuch_in_f: command not found" \
		"$(cat "$ndir/err")"
	out=$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent ./cairn run "$ndir/self.sh" 2>"$ndir/err")
	expect_eq "as nobody, absolute path: output" "# line two of the real script
1
$ndir/self.sh" "$out"
	expect_eq "as nobody, absolute path: function error" \
		"$ndir/self.sh: line 7: nosuch_in_f: command not found" "$(cat "$ndir/err")"
	expect_eq "as nobody: whoami inside" "nobody" \
		"$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			./cairn -c 'id -un')"
	# A store the user cannot write: said plainly, nothing run, nothing written.
	chown root "$ndir/.cairn"
	chmod 755 "$ndir/.cairn"
	before=$(find "$ndir/.cairn" | sort)
	out=$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent ./cairn -c 'echo ran > ran.txt' 2>"$ndir/err")
	expect_eq "as nobody, another user's store: status" 125 "$?"
	expect_match "as nobody, another user's store: message" \
		"^cairn: the store $ndir/\.cairn belongs to another user \(uid 0\): cairn uses only stores you own; to use it anyway, name its project in CAIRN_SAFE_STORE" "$(cat "$ndir/err")"
	[ ! -e "$ndir/ran.txt" ] || fail "a step ran although its store is unwritable"
	expect_eq "unwritable store unchanged" "$before" "$(find "$ndir/.cairn" | sort)"
	# Named safe, it is used -- and it is not writable: said plainly.
	out=$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent CAIRN_SAFE_STORE="$ndir" \
		./cairn -c 'echo ran > ran.txt' 2>"$ndir/err")
	expect_eq "as nobody, unwritable store: status" 125 "$?"
	expect_match "as nobody, unwritable store: message" \
		"^cairn: cannot record into the store $ndir/\.cairn: Permission denied" "$(cat "$ndir/err")"
	[ ! -e "$ndir/ran.txt" ] || fail "a step ran although its store is unwritable"
	rm -rf "$ndir"
fi

# Scratch directories are removed when the session ends.
tmp=$(mktemp -d)
TMPDIR=$tmp "$CAIRN" -c 'echo x' >/dev/null
expect_eq "no scratch left behind" "" "$(ls -A "$tmp")"
rm -rf "$tmp"

done_testing
