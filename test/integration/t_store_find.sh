#!/bin/bash
# cairn tag and cairn find on fixture records: the two questions of the
# design ("every output derived, directly or not, from an input tagged
# center=X"; "every run of gdalwarp with -m 12 on a Monday").
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"
export TZ=UTC
FIX() { "$PROV_FIXTURE" "$@"; }
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

mkdir proj && cd proj || exit 1
"$CAIRN" -q init || fail "init"
mkdir -p in out
echo 'scene from center X' > in/sat.tif
echo 'scene from center Y' > in/sat2.tif

# The inputs came from outside: no step wrote them; tag their versions.
run_cairn tag in/sat.tif center=X
expect_eq "tag a hand-made input" 0 "$RC"
expect_match "tag says what it tagged" "tagged in/sat.tif \(version [0-9a-f]{12}, written by no step\)" "$OUT"
run_cairn tag in/sat2.tif center=Y
# 2026-12-07 is a Monday, 2026-12-08 a Tuesday.
echo warped1 > out/a.tif
W1=$(FIX step --command 'gdalwarp -m 12 -t_srs EPSG:4326 in/sat.tif out/a.tif' \
	--argv 'gdalwarp -m 12 -t_srs EPSG:4326 in/sat.tif out/a.tif' \
	--started 2026-12-07T08:00:00.000Z --read in/sat.tif --write out/a.tif)
echo slope > out/b.tif
SL=$(FIX step --command 'gdaldem slope out/a.tif out/b.tif' --argv 'gdaldem slope out/a.tif out/b.tif' \
	--started 2026-12-08T08:00:00.000Z --read out/a.tif --write out/b.tif)
echo hill > out/c.tif
HS=$(FIX step --command 'make hillshade' --argv 'make hillshade' \
	--argv 'gdaldem hillshade out/b.tif out/c.tif' \
	--started 2026-12-08T09:00:00.000Z --read out/b.tif --write out/c.tif)
echo warped2 > out/d.tif
W2=$(FIX step --command 'gdalwarp -m 12 in/sat2.tif out/d.tif' --argv '/usr/bin/gdalwarp -m 12 in/sat2.tif out/d.tif' \
	--started 2026-12-14T08:00:00.000Z --read in/sat2.tif --write out/d.tif)
echo warped3 > out/e.tif
W3=$(FIX step --command 'gdalwarp -m 120 in/sat.tif out/e.tif' --argv 'gdalwarp -m 120 in/sat.tif out/e.tif' \
	--started 2026-12-14T09:00:00.000Z --read in/sat.tif --write out/e.tif)

# Question 1: everything derived, directly or not, from center X's input.
run_cairn find --tag center=X
expect_eq "find --tag" 0 "$RC"
expect_eq "find --tag center=X" "${W3:0:8} ${HS:0:8} ${SL:0:8} ${W1:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"
expect_match "find lists what each step wrote" "${HS:0:8}  2026-12-08 09:00:00  make hillshade"$'\n'"    wrote out/c.tif" "$OUT"
"$CAIRN" find --tag center=X --json > "$T_DIR/f.json"
expect_eq "find --json outputs" "out/e.tif out/c.tif out/b.tif out/a.tif" \
	"$(json "$T_DIR/f.json" '" ".join(p for s in j for p in s["writes"])')"
expect_eq "find --json keys" "cached command exit_status id seq session started tags writes" \
	"$(json "$T_DIR/f.json" '" ".join(sorted(j[0]))')"

# Question 2: every run of gdalwarp with -m 12 on a Monday.
run_cairn find --command 'gdalwarp*' --arg '-m 12' --weekday Monday
expect_eq "find gdalwarp -m 12 on Mondays" "${W2:0:8} ${W1:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"
run_cairn find --command 'gdalwarp*' --arg '-m 12' --weekday mon --tag center=X
expect_eq "... and from center X" "${W1:0:8}" "$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8)"
run_cairn find --command gdaldem
expect_eq "a program run inside a make step" "${HS:0:8} ${SL:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"

# Tagging an output tags the step that wrote it; tags flow downstream.
run_cairn tag out/b.tif quality=checked
expect_eq "tag a path" 0 "$RC"
expect_match "tag a path names the step" "tagged step ${SL:0:8} \(it wrote out/b.tif\)" "$OUT"
"$CAIRN" show "$SL" --json > "$T_DIR/s.json"
expect_eq "show merges tags" "checked" "$(json "$T_DIR/s.json" 'j["tags"]["quality"]')"
run_cairn find --tag quality=checked
expect_eq "find a tag downstream" "${HS:0:8} ${SL:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"
run_cairn find --own-tag quality=checked
expect_eq "find --own-tag" "${SL:0:8}" "$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8)"
run_cairn tag "${HS:0:6}" note=final reviewer=ana
expect_eq "tag a step" 0 "$RC"
"$CAIRN" show "$HS" --json > "$T_DIR/h.json"
expect_eq "two tags at once" "ana final" "$(json "$T_DIR/h.json" 'j["tags"]["reviewer"]+" "+j["tags"]["note"]')"
echo edited > out/b.tif
run_cairn tag out/b.tif note=hand-edited
expect_match "tag an edited file tags its version" "written by no step" "$OUT"

# Paths, ancestry, dates.
run_cairn find --derived-from in/sat.tif
expect_eq "find --derived-from" "${W3:0:8} ${HS:0:8} ${SL:0:8} ${W1:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"
(cd out && "$CAIRN" find --writes b.tif) > "$T_DIR/w.out"
expect_eq "find --writes from a subdirectory" "${SL:0:8}" "$(grep -v '^ ' "$T_DIR/w.out" | cut -c1-8)"
run_cairn find --reads out/a.tif
expect_eq "find --reads" "${SL:0:8}" "$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8)"
run_cairn find --since 2026-12-14
expect_eq "find --since" "${W3:0:8} ${W2:0:8}" \
	"$(printf '%s\n' "$OUT" | grep -v '^ ' | cut -c1-8 | tr '\n' ' ' | sed 's/ $//')"
run_cairn find --tag center=Z
expect_eq "find nothing" "0:" "$RC:$OUT"

# Usage errors.
run_cairn find --weekday Funday
expect_eq "bad weekday" 2 "$RC"
run_cairn find --since yesterday
expect_eq "bad date" 2 "$RC"
run_cairn find --frob x
expect_eq "unknown option" 2 "$RC"
run_cairn tag out/a.tif nokey
expect_eq "tag without KEY=VALUE" 2 "$RC"
run_cairn tag no/such/file k=v
expect_eq "tag of nothing" 1 "$RC"
expect_match "tag of nothing message" "neither a file nor a step" "$ERR"

done_testing
