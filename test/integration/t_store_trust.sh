#!/bin/bash
# ctest-labels: security
# A store cairn did not make is not trusted: a .cairn whose own files are
# symbolic links (.cairn/tmp -> a victim directory: sweeping leftovers
# removed the victim's files) is refused by every command, fsck too; a
# store owned by another user (a .cairn in a shared /tmp or group
# directory, found from a subdirectory) is refused unless named in
# CAIRN_SAFE_STORE.  The victims are the test's own files.
. "$TEST_SRC/test/integration/lib.sh"

victim=$(mktemp -d "$T_DIR/victim.XXXXXX")
echo precious >"$victim/.bashrc"
mkdir -p "$victim/sub" && echo also >"$victim/sub/file"
mkdir proj && cd proj || exit 1
run_cairn init
expect_eq "a store of its own" 0 "$RC"
for link in tmp journal; do
	rm -rf ".cairn/$link" && ln -s "$victim" ".cairn/$link"
	for cmd in "-c true" "fsck --repair" "cache gc" "status" "log"; do
		# shellcheck disable=SC2086
		run_cairn $cmd
		expect_eq ".cairn/$link a link: cairn $cmd refused" 125 "$RC"
		expect_match ".cairn/$link a link: cairn $cmd says why" "\.cairn/$link is a symbolic link" "$ERR"
	done
	expect_eq ".cairn/$link a link: the victim's files kept" "precious also" \
		"$(cat "$victim/.bashrc" "$victim/sub/file" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	rm ".cairn/$link" && mkdir -m 700 ".cairn/$link"
done
run_cairn -c 'echo back'
expect_eq "the store repaired by hand: used again" "0 back" "$RC $OUT"
# One level down: the fan-out directories fsck and gc list.
mkdir -p .cairn/actions .cairn/cas/sha256
for link in actions/ab cas/sha256/ab lost+found; do
	rm -rf ".cairn/$link" && ln -s "$victim" ".cairn/$link"
	for cmd in "-c true" "fsck --repair" "cache gc"; do
		# shellcheck disable=SC2086
		run_cairn $cmd
		expect_eq ".cairn/$link a link: cairn $cmd refused" 125 "$RC"
	done
	expect_eq ".cairn/$link a link: the victim's files kept" "precious also" \
		"$(cat "$victim/.bashrc" "$victim/sub/file" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	rm ".cairn/$link"
done
cd ..

# A project cannot widen its own sandbox: sandbox.writable in its
# .cairn/config is ignored (said); only the user's own configuration
# (~/.config/cairn/config) names directories steps may write.
mkdir -p home && echo canary >home/.bashrc
wdir=$(mktemp -d /var/tmp/cairn-writable.XXXXXX)
mkdir handed && cd handed || exit 1
run_cairn init
git config --file .cairn/config --add sandbox.writable "$T_DIR/home"
git config --file .cairn/config --add sandbox.writable "$wdir"
HOME=$T_DIR/home run_cairn -c "echo evil >> $T_DIR/home/.bashrc; echo evil > $wdir/from-project"
expect_eq "project writable: the canary kept" canary "$(cat "$T_DIR/home/.bashrc")"
[ -e "$wdir/from-project" ] && fail "project writable: a step wrote where only the project said it may"
expect_match "project writable: said to be ignored" "sets sandbox.writable, which a project cannot" "$ERR"
mkdir -p "$T_DIR/home/.config/cairn"
git config --file "$T_DIR/home/.config/cairn/config" --add sandbox.writable "$wdir"
HOME=$T_DIR/home run_cairn -c "echo mine > $wdir/from-user"
expect_eq "user writable: the step wrote there" "mine" "$(cat "$wdir/from-user" 2>&1)"
git config --file "$T_DIR/home/.config/cairn/config" --add sandbox.writable /
HOME=$T_DIR/home run_cairn -c "true"
expect_eq "user writable /: refused" 125 "$RC"
expect_match "user writable /: says why" "sandbox.writable = /: the whole file system cannot be made writable" "$ERR"
git config --file "$T_DIR/home/.config/cairn/config" --unset-all sandbox.writable
git config --file "$T_DIR/home/.config/cairn/config" --add sandbox.writable rel/dir
HOME=$T_DIR/home run_cairn -c "true"
expect_match "user writable relative: refused" "give an absolute path" "$ERR"
rm -rf "$wdir"
cd ..

# A planted commit journal (with its record) is not replayed when it
# names anything outside the project and its layers: it deleted and
# overwrote the user's files.
mkdir planted && cd planted || exit 1
run_cairn init
pvictim=$(mktemp -d /var/tmp/cairn-pvictim.XXXXXX)
echo keep >"$pvictim/file"
id=0123456789abcdef0123456789abcdef
mkdir -p -m 700 .cairn/journal
printf '{"id": "%s", "session": "20260101T000000Z-dead", "seq": 1, "finished": "2026-01-01T00:00:00Z", "command": "true", "writes": []}' "$id" >.cairn/journal/$id.json
printf 'cairn-journal 1\n00000000\nD0\0\0%s\0' "$pvictim/file" >.cairn/journal/$id.journal
run_cairn -c 'echo ran'
expect_eq "planted journal: the victim kept" keep "$(cat "$pvictim/file" 2>&1)"
expect_match "planted journal: said" "names files outside the project and its layers: not replayed" "$ERR"
rm -f .cairn/journal/$id.*
rm -rf "$pvictim"
run_cairn -c 'echo ran'
expect_eq "planted journal removed: the store works" "0 ran" "$RC $OUT"
cd ..

# A planted journal inside the project makes no set-id file: its chmod
# loses the set-id and sticky bits.
mkdir planted2 && cd planted2 || exit 1
run_cairn init
echo data >f
chmod 0644 f
mkdir -p -m 700 .cairn/journal
printf '{"id": "%s", "session": "20260101T000000Z-dead", "seq": 1, "finished": "2026-01-01T00:00:00Z", "command": "true", "writes": []}' "$id" >.cairn/journal/$id.json
printf 'cairn-journal 1\n00000000\nC6755\0\0%s\0' "$PWD/f" >.cairn/journal/$id.journal
run_cairn -c 'echo ran'
expect_eq "planted chmod 6755: no set-id bits" "755" "$(stat -c %a f)"
cd ..

# A crafted action-cache entry (stores come with projects) cannot make a
# hit write outside where steps write, through a link, with set-id bits,
# or delete what no step could.
mkdir crafted && cd crafted || exit 1
run_cairn init
mkdir -p keep sub && echo keep >keep/file
ln -s "$T_DIR/outside-link" linkdir
mkdir -p "$T_DIR/outside-link"
run_cairn -c 'echo hi > a.txt'
entry=$(grep -rl '"writes"' .cairn/actions | head -1)
craft() { # WRITES-JSON: replace the candidate's writes
	"$PY" - "$entry" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["candidates"]:
    c["writes"] = json.loads(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PY
}
PY=${PY:-/usr/bin/python3}
sha=$(sha256sum a.txt | cut -d' ' -f1)
absdir=/var/tmp/cairn-trust-$$
for bad in "../outside-dotdot/x" "$absdir/x" "linkdir/x" "sub/../../outside-dd2/x"; do
	craft "[{\"path\": \"a.txt\", \"kind\": \"file\", \"sha256\": \"$sha\", \"size\": 3, \"mode\": \"0644\"}, {\"path\": \"$bad\", \"kind\": \"file\", \"sha256\": \"$sha\", \"size\": 3, \"mode\": \"6755\"}]"
	run_cairn -c 'echo hi > a.txt'
	expect_eq "crafted entry ($bad): not served" "False" "$(rec @1 'r["cached"]')"
	expect_match "crafted entry ($bad): said" "a cache entry names .*where no step could have written: not served" "$ERR"
done
[ -e "$T_DIR/outside-dotdot/x" ] || [ -e "$absdir" ] || [ -e "$T_DIR/outside-link/x" ] ||
	[ -e "$T_DIR/outside-dd2/x" ] && fail "a crafted entry wrote outside the project"
craft "[{\"path\": \"d3\", \"kind\": \"symlink\", \"target\": \"$T_DIR/outside-link\"}, {\"path\": \"d3/evil\", \"kind\": \"file\", \"sha256\": \"$sha\", \"size\": 3, \"mode\": \"0644\"}]"
run_cairn -c 'echo hi > a.txt'
[ -e "$T_DIR/outside-link/evil" ] && fail "a crafted entry wrote through a link it made"
expect_match "crafted entry (through its own link): said" "where no step could have written: not served" "$ERR"
craft '[{"path": "keep", "kind": "deleted"}, {"path": "../keep", "kind": "deleted"}]'
run_cairn -c 'echo hi > a.txt'
expect_eq "crafted deletion: the directory kept" keep "$(cat keep/file 2>&1)"
# Entries a step really made under the session's /tmp are served (a
# one-letter name lost its first letter and was refused).
run_cairn -c 'echo t > /tmp/a; mkdir -p /tmp/dd; echo u > /tmp/dd/s; echo v > tmpw.txt'
run_cairn -c 'echo t > /tmp/a; mkdir -p /tmp/dd; echo u > /tmp/dd/s; echo v > tmpw.txt'
expect_eq "writes under the session /tmp: served" "True" "$(rec @1 'r["cached"]')"
expect_eq "writes under the session /tmp: nothing said" "" "$ERR"
# A well-formed entry whose mode has set-id bits: served without them.
craft "[{\"path\": \"a.txt\", \"kind\": \"file\", \"sha256\": \"$sha\", \"size\": 3, \"mode\": \"6755\"}]"
rm a.txt
run_cairn -c 'echo hi > a.txt'
expect_eq "set-id mode: served" "True" "$(rec @1 'r["cached"]')"
expect_eq "set-id mode: masked" "755" "$(stat -c %a a.txt)"
cd ..

# The formats helper reads a file a step wrote without the network: a
# VRT whose source is /vsicurl/http://127.0.0.1:PORT/?data=... (the test's
# own server on loopback) is summarised and fingerprinted without a
# request (GDAL itself, outside cairn, makes the request: the probe works).
if command -v gdalinfo >/dev/null && python3 -c 'import http.server' 2>/dev/null; then
	mkdir leak && cd leak || exit 1
	run_cairn init
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 -m http.server "$port" --bind 127.0.0.1 >srv.log 2>&1 &
	srv=$!
	for i in $(seq 50); do grep -q Serving srv.log 2>/dev/null && break; sleep 0.1; done
	vrt="<VRTDataset rasterXSize=\"1\" rasterYSize=\"1\"><VRTRasterBand dataType=\"Byte\" band=\"1\"><SimpleSource><SourceFilename relativeToVRT=\"0\">/vsicurl/http://127.0.0.1:$port/leak?data=SECRET</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
	printf 'printf "%%s" %q > evil.vrt\n' "$vrt" >mk.sh
	run_cairn run mk.sh
	expect_eq "evil VRT written by a step" 0 "$RC"
	run_cairn info --fingerprint evil.vrt
	sleep 0.5
	expect_eq "formats helper: no request from the record or the fingerprint" 0 "$(grep -c leak srv.log)"
	gdalinfo -checksum evil.vrt >/dev/null 2>&1
	sleep 0.5
	[ "$(grep -c leak srv.log)" -gt 0 ] || echo "$T_NAME: note: GDAL made no request either" >&2
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	cd ..
fi

# Another user's store, found from a subdirectory.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	shared=$(mktemp -d /tmp/cairn-shared.XXXXXX)
	cp "$CAIRN" "$shared/cairn" && chmod 755 "$shared" "$shared/cairn"
	(cd "$shared" && "$CAIRN" -c true >/dev/null 2>&1)
	mkdir -m 777 "$shared/work"
	asnobody() { (cd "$shared/work" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent "$@"); }
	out=$(asnobody ../cairn -c 'echo ran > ran.txt' 2>&1)
	expect_eq "another user's store: refused" 125 "$?"
	expect_match "another user's store: names the setting" \
		"belongs to another user \(uid 0\).*CAIRN_SAFE_STORE=$shared" "$out"
	[ ! -e "$shared/work/ran.txt" ] || fail "a step ran in another user's store"
	out=$(asnobody ../cairn --store "$shared" -c 'true' 2>&1)
	expect_eq "another user's store named with --store: refused too" 125 "$?"
	out=$(asnobody env CAIRN_SAFE_STORE="/elsewhere:$shared" ../cairn -c 'true' 2>&1)
	expect_match "named in CAIRN_SAFE_STORE: used (and not writable)" "cannot record into the store" "$out"
	rm -rf "$shared"
else
	echo "$T_NAME: skipping the other-user checks (needs root, nobody, setpriv)" >&2
fi
done_testing
