#!/bin/bash
# ctest-labels: slow
# Upkeep of the content store: cache stats, gc under each retention
# policy (checked against the object files on disk), compression, verify
# and fsck finding and repairing damage, and gc refusing to run beside a
# session.
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"

sha() { sha256sum "$1" | cut -d' ' -f1; }
# obj SHA: the object's file, raw or compressed ("" when absent).
obj() {
	local p=".cairn/cas/sha256/${1:0:2}/${1:2}"
	if [ -f "$p" ]; then echo "$p"; elif [ -f "$p.zst" ]; then echo "$p.zst"; fi
}
# present SHA...: "1" for each object on disk, "0" for each absent.
present() {
	local s out=""
	for s in "$@"; do [ -n "$(obj "$s")" ] && out="${out}1" || out="${out}0"; done
	echo "$out"
}
js() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# ---- real steps, stats --------------------------------------------------
run_cairn --no-cache -c 'echo a > a.txt'
expect_eq "step 1" 0 "$RC"
s1=$(rec @1 'r["id"]')
run_cairn --no-cache -c 'seq 1 20000 > big.txt'
s2=$(rec @1 'r["id"]')
run_cairn --no-cache -c 'echo b > b.txt'
s3=$(rec @1 'r["id"]')
A=$(sha a.txt) BIG=$(sha big.txt) B=$(sha b.txt)
expect_eq "objects stored" 111 "$(present "$A" "$BIG" "$B")"

# The steps' start state (one: the three sessions start alike) is stored
# too, for `cairn rerun`.
ST=$(rec @1 'r["start_state"]["state_sha256"]')
expect_eq "start state stored" 1 "$(present "$ST")"
run_cairn cache stats --json
expect_eq "stats: status" 0 "$RC"
expect_eq "stats: numbers" "5 0 3 3 0 0.0 $(($(stat -c %s a.txt) + $(stat -c %s big.txt) + $(stat -c %s b.txt) + $(stat -c %s "$(obj "$ST")")))" \
	"$(echo "$OUT" | js '" ".join(str(d[k]) for k in ["objects","compressed_objects","steps","sessions","cached_steps","hit_rate","stored_bytes"])')"
run_cairn cache stats
expect_match "stats: text" "objects: +5 \(0 compressed\)" "$OUT"

# A cache hit (recorded by the fixture tool as the step runner would):
# the hit rate and the CPU time the original step took.
"$PROV_FIXTURE" -C "$PWD" step --session 20261201T000000Z-00000001 --command orig \
	--started 2026-12-01T00:00:00.000Z --finished 2026-12-01T00:00:10.000Z >orig.id ||
	fail "fixture: original step"
"$PROV_FIXTURE" -C "$PWD" step --session 20261201T000000Z-00000001 --command orig \
	--cached "$(cat orig.id)" >/dev/null || fail "fixture: cached step"
orig_cpu=$(rec "$(cat orig.id)" 'round(r["resources"]["cpu_user_s"] + r["resources"]["cpu_sys_s"], 3)')
run_cairn cache stats --json
expect_eq "stats: hits" "5 1 0.2 $orig_cpu" \
	"$(echo "$OUT" | js '" ".join(str(round(d[k], 3)) for k in ["steps","cached_steps","hit_rate","cpu_saved_s"])')"

# ---- verify and fsck on a clean store -----------------------------------
run_cairn cache verify
expect_eq "verify clean: status" 0 "$RC"
run_cairn fsck
expect_eq "fsck clean: status" 0 "$RC"
expect_match "fsck clean: says so" "^clean:" "$OUT"

# ---- a flipped byte ------------------------------------------------------
p=$(obj "$A")
chmod u+w "$p"
printf 'A' | dd of="$p" bs=1 seek=0 conv=notrunc status=none
run_cairn cache verify
expect_eq "verify corrupt: status" 1 "$RC"
expect_match "verify corrupt: path" "corrupt: .*$p" "$OUT"
expect_match "verify corrupt: expected" "expected $A" "$OUT"
expect_match "verify corrupt: actual" "actual +$(printf 'A\n' | sha256sum | cut -d' ' -f1)" "$OUT"
run_cairn cache verify --json
expect_eq "verify --json" "1 $A" "$(echo "$OUT" | js 'str(len(d["corrupt"])) + " " + d["corrupt"][0]["expected"]')"
run_cairn fsck
expect_eq "fsck corrupt: status" 1 "$RC"
expect_match "fsck corrupt: named" "problem: object .*$p is corrupt" "$OUT"
expect_eq "fsck without --repair changes nothing" "1" "$(present "$A")"
run_cairn fsck --repair
expect_eq "fsck --repair: status" 1 "$RC"
expect_match "fsck --repair: quarantined" "repaired: moved to .*lost\+found" "$OUT"
expect_match "fsck --repair: re-stored from the project" "stored again from .*a.txt" "$OUT"
expect_eq "lost+found holds the bad copy" "A" "$(cat .cairn/lost+found/* | head -c1)"
expect_eq "the object is good again" "$A" "$(sha "$(obj "$A")")"
run_cairn fsck
expect_eq "fsck after repair: clean" 0 "$RC"

# ---- compression ---------------------------------------------------------
run_cairn cache compress --older 0
expect_eq "compress: status" 0 "$RC"
expect_match "compress: big.txt and the start state" "compressed 2 objects" "$OUT"
expect_eq "big.txt compressed, small ones not" ".zst  " \
	"$(obj "$BIG" | grep -o '\.zst$') $(obj "$A" | grep -o '\.zst$') $(obj "$B" | grep -o '\.zst$')"
rm big.txt
run_cairn checkout big.txt
expect_eq "checkout from a compressed object" "0 $BIG" "$RC $(sha big.txt)"
run_cairn cache stats --json
expect_eq "stats: compressed" "2 True" \
	"$(echo "$OUT" | js 'str(d["compressed_objects"]) + " " + str(d["raw_bytes"] > d["stored_bytes"])')"
run_cairn cache verify
expect_eq "verify compressed: status" 0 "$RC"

# A truncated .zst: an error, not a crash.
z=$(obj "$BIG")
chmod u+w "$z"
truncate -s 20 "$z"
run_cairn cache verify
expect_eq "verify truncated: status" 1 "$RC"
expect_match "verify truncated: says so" "truncated" "$OUT"
run_cairn checkout big.txt
expect_eq "checkout of a truncated object: status" 125 "$RC"
expect_match "checkout of a truncated object: message" "truncated" "$ERR"
expect_eq "checkout left big.txt alone" "$BIG" "$(sha big.txt)"
run_cairn fsck --repair
expect_eq "fsck --repair truncated: status" 1 "$RC"
run_cairn fsck
expect_eq "fsck after repairing the truncated object" 0 "$RC"

# ---- gc while a session holds the shared lock ------------------------------
# One process holding the lock (as a session does), so that killing it
# releases the lock.
python3 -c '
import fcntl, sys, time
f = open(".cairn/cache.lock", "a")
fcntl.flock(f, fcntl.LOCK_SH)
print("locked", flush=True)
time.sleep(60)' > locked.txt &
holder=$!
for _ in $(seq 300); do
	[ -s locked.txt ] && break
	sleep 0.1
done
run_cairn cache gc --keep-sessions 1
expect_eq "gc beside a session: refused" 1 "$RC"
expect_match "gc beside a session: why" "running cairn session" "$ERR"
expect_eq "gc beside a session: nothing removed" 111 "$(present "$A" "$BIG" "$B")"
run_cairn fsck --repair
expect_eq "fsck --repair beside a session: refused" 1 "$RC"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# ---- gc --keep-sessions on real steps --------------------------------------
run_cairn cache gc --keep-sessions 2 --dry-run
expect_match "dry run: what would go" "would remove" "$OUT"
expect_eq "dry run removes nothing" 111 "$(present "$A" "$BIG" "$B")"
# The two newest sessions are the fixture's hit (now) and b.txt's.
run_cairn cache gc --keep-sessions 3 --json
expect_eq "gc: status" 0 "$RC"
expect_eq "gc: keeps big and b, removes a" 011 "$(present "$A" "$BIG" "$B")"
expect_eq "gc: counts" "1 $(stat -c %s a.txt)" "$(echo "$OUT" | js 'str(d["objects_removed"]) + " " + str(d["bytes_removed"])')"
run_cairn checkout a.txt --at "$s1"
expect_eq "checkout of a collected version: status" 1 "$RC"
expect_match "checkout of a collected version: why" "cache gc" "$ERR"
expect_eq "checkout of a collected version: file untouched" "$A" "$(sha a.txt)"
run_cairn checkout b.txt --at "$s3"
expect_eq "checkout of a kept version" 0 "$RC"
run_cairn show "$s1"
expect_eq "records stay" 0 "$RC"
run_cairn fsck
expect_eq "fsck after gc: clean (collected is not missing)" 0 "$RC"

# ---- action cache entries ------------------------------------------------
mkdir -p .cairn/actions/ab
key=ab$(printf '%062d' 7)
cat > ".cairn/actions/ab/${key:2}" <<J
{"key": "$key", "candidates": [
 {"step": "s-good", "writes": [{"path": "b.txt", "kind": "file", "sha256": "$B"}], "stdout": null, "stderr": null, "end_state": "$BIG"},
 {"step": "s-gone", "writes": [{"path": "a.txt", "kind": "file", "sha256": "$A"}], "stdout": null, "stderr": null, "end_state": "$BIG"}]}
J
echo '{"key": 3' > ".cairn/actions/ab/$(printf '%062d' 8)"
run_cairn cache stats --json
expect_eq "stats: action entries" "1 2" "$(echo "$OUT" | js 'str(d["action_entries"]) + " " + str(d["action_candidates"])')"
run_cairn fsck
expect_eq "fsck: bad action entries" 1 "$RC"
expect_match "fsck: malformed entry" "malformed action entry" "$OUT"
expect_match "fsck: candidate with a missing object" "s-gone" "$OUT"
run_cairn fsck --repair
expect_eq "fsck --repair actions: status" 1 "$RC"
expect_eq "malformed entry dropped" "" "$(ls .cairn/actions/ab | grep 8$)"
expect_eq "only the good candidate left" "s-good" \
	"$(js '",".join(c["step"] for c in d["candidates"])' < ".cairn/actions/ab/${key:2}")"
run_cairn fsck
expect_eq "fsck clean after repairing actions" 0 "$RC"

# ---- policies on sessions of known ages (fixture records) ------------------
# day D at HH:MM UTC, N days ago.
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.000Z; }
policy_store() {
	rm -rf "$T_DIR/p" && mkdir -p "$T_DIR/p/.cairn" && cd "$T_DIR/p" || exit 1
	"$PROV_FIXTURE" -C "$PWD" init >/dev/null
	local n when
	# name  finished
	while read -r n when; do
		head -c 10000 /dev/urandom > "$n.bin"
		"$PROV_FIXTURE" -C "$PWD" step --session "$(date -u -d "$when" +%Y%m%dT%H%M%SZ)-0000000$n" \
			--started "$(at "$when")" --finished "$(at "$when")" \
			--command "make $n" --write "$n.bin" >/dev/null || fail "fixture $n"
		eval "O$n=\$(sha $n.bin)"
	done <<W
1 $(date -u -d '60 days ago' +%F) 12:00
2 $(date -u -d '20 days ago' +%F) 12:00
3 $(date -u -d '5 days ago' +%F) 12:00
4 $(date -u -d '5 days ago' +%F) 11:00
5 $(date -u -d '3 hours ago' +'%F %H'):10
6 $(date -u -d '3 hours ago' +'%F %H'):30
W
}
all() { present "$O1" "$O2" "$O3" "$O4" "$O5" "$O6"; }

policy_store
expect_eq "policy store" 111111 "$(all)"
run_cairn cache gc --keep-sessions 2
expect_eq "--keep-sessions 2" 000011 "$(all)"

policy_store
run_cairn cache gc --keep-younger 6d
expect_eq "--keep-younger 6d" 001111 "$(all)"

policy_store
run_cairn cache gc --keep-younger 1d --keep-sessions 3
expect_eq "--keep-younger 1d --keep-sessions 3 (union)" 001011 "$(all)"

policy_store
run_cairn cache gc --tiered
expect_eq "--tiered: newest per hour, day, week" 011001 "$(all)"

policy_store
run_cairn cache gc --max-size 25000 --no-compress
expect_eq "--max-size: newest sessions that fit" 000011 "$(all)"

policy_store
run_cairn cache gc --max-size 1 --keep-younger 6d --no-compress
expect_eq "--max-size never drops what another rule keeps" 001111 "$(all)"
expect_match "--max-size: says it is over budget" "more than --max-size" "$ERR"

policy_store
git config --file .cairn/config gc.keepSessions 1
run_cairn cache gc
expect_eq "gc.keepSessions from the config" 000001 "$(all)"

policy_store
run_cairn cache gc
expect_eq "default policy (last 10, younger than 30 days)" 111111 "$(all)"

run_cairn cache gc --keep-younger 7x
expect_eq "bad duration: usage" 2 "$RC"
run_cairn cache frob
expect_eq "bad cache command: usage" 2 "$RC"
run_cairn fsck --frob
expect_eq "bad fsck option: usage" 2 "$RC"

done_testing
