#!/bin/bash
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

# The same as an ordinary user, when we are root and `nobody` exists.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	ndir=$(mktemp -d /tmp/cairn-nobody.XXXXXX)
	chmod 755 "$ndir"
	cp "$CAIRN" "$ndir/cairn"
	cp self.sh "$ndir/self.sh"
	chmod 755 "$ndir/cairn"
	chmod 644 "$ndir/self.sh"
	chown nobody "$ndir"
	out=$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent ./cairn run self.sh 2>"$ndir/err")
	rc=$?
	expect_eq "as nobody: status" 127 "$rc"
	expect_eq "as nobody: output" "# line two of the real script
1
self.sh" "$out"
	expect_eq "as nobody: function error" "self.sh: line 7: nosuch_in_f: command not found" \
		"$(cat "$ndir/err")"
	expect_eq "as nobody: whoami inside" "nobody" \
		"$(cd "$ndir" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			./cairn -c 'id -un')"
	rm -rf "$ndir"
fi

# Scratch directories are removed when the session ends.
tmp=$(mktemp -d)
TMPDIR=$tmp "$CAIRN" -c 'echo x' >/dev/null
expect_eq "no scratch left behind" "" "$(ls -A "$tmp")"
rm -rf "$tmp"

done_testing
