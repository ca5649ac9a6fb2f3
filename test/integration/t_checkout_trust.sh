#!/bin/bash
# ctest-labels: security
# `cairn checkout` restores a file with the mode its record names; a
# record from a store someone handed you named 6755, and checkout made a
# set-user-id, set-group-id program of the user's own.  Set-id and
# sticky bits are dropped, as for a cache hit.  The files are the
# test's own.
. "$TEST_SRC/test/integration/lib.sh"

run_cairn -c 'printf "#!/bin/sh\necho hi\n" > prog'
expect_eq "a step to copy" 0 "$RC"
# Its record, the write's mode made 6755 (and 1777 for a second file of
# the same bytes), recorded under a new id as the newest writer of both.
"$CAIRN" show @1 --json | python3 -c '
import json, sys, uuid
r = json.load(sys.stdin)
w = r["writes"][0]
r["writes"] = [dict(w, mode="6755"), dict(w, path="sticky", mode="1777")]
r["id"] = uuid.uuid4().hex
r["seq"] = r["seq"] + 1
print(json.dumps(r))' >"$T_DIR/crafted.json"
"$PROV_FIXTURE" -C . record "$T_DIR/crafted.json" >/dev/null || fail "crafted record not stored"
rm -f prog "$T_DIR/crafted.json"
run_cairn checkout prog
expect_eq "checkout of the crafted record" 0 "$RC"
expect_eq "restored without set-id bits" 755 "$(stat -c %a prog 2>&1)"
run_cairn checkout sticky
expect_eq "restored without the sticky bit" "0 777" "$RC $(stat -c %a sticky 2>&1)"
done_testing
