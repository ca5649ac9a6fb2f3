#!/bin/bash
# ctest-labels: security
# A record from a store someone handed you names the files rerun saves
# before its chain runs (to put them back if a step fails): a write
# named "../victim" or through a symbolic link out of the project had
# the file outside copied into the project's content store (which goes
# back with the project).  Only plain paths in the project are saved.
# The victims are the test's own files.
. "$TEST_SRC/test/integration/lib.sh"

victim=$(mktemp -d "$T_DIR/victim.XXXXXX")
echo "precious $$" >"$victim/secret"
vsha=$(sha256sum "$victim/secret" | cut -c1-64)
mkdir proj && cd proj || exit 1
run_cairn init
ln -s "$victim" lnk
run_cairn -c 'echo a > f'
expect_eq "a step to copy" 0 "$RC"
# Its record, made to also write ../<victim>/secret and lnk/secret, and
# to fail when run again; recorded under a new id, as the newest writer
# of f.
"$CAIRN" show @1 --json | python3 -c '
import json, sys, uuid
r = json.load(sys.stdin)
w = dict(r["writes"][0])
r["writes"] = [w] + [dict(w, path=p) for p in sys.argv[1:]]
r["id"] = uuid.uuid4().hex
r["command"] = "false"
r["seq"] = r["seq"] + 1
print(json.dumps(r))' "$(realpath -s --relative-to=. "$victim/secret")" lnk/secret >crafted.json
"$PROV_FIXTURE" -C . record crafted.json >/dev/null || fail "crafted record not stored"
rm crafted.json
run_cairn rerun f
expect_match "the chain fails (its step does)" "^[1-9]" "$RC"
expect_eq "the victim's bytes are not in the project's store" "" \
	"$(find .cairn/cas -name "${vsha:2}*" 2>/dev/null)"
expect_eq "the victim untouched" "precious $$" "$(cat "$victim/secret")"
done_testing
