# cairn compare (docs/history.md): an image-processing pipeline run
# twice, the second time with its last stage replaced by two other tools:
# the answer lists exactly the replaced step (removed) and the two new
# ones (added), the first stages as the same, and the outputs that
# differ with their format-aware difference; --json's shape; a run
# compared with a run of the same script is the same (exit 0); a changed
# argument pairs the steps as changed.
. "${TEST_SRC:?}/test/integration/lib.sh" || exit 1
. "${TEST_SRC:?}/test/integration/formats_lib.sh" || exit 1
need gdal_translate gdalwarp gdaldem "$EGM96"

make_dem dem.tif
cat >p1.sh <<'EOF2'
gdal_translate -q -outsize 120 60 dem.tif small.tif
gdaldem slope small.tif slope.tif -q -s 111120
gdal_translate -q -ot Byte -scale small.tif final.tif 2>/dev/null
EOF2
{ head -2 p1.sh
  echo 'gdalwarp -q -t_srs EPSG:3857 -te -2000000 -2000000 2000000 2000000 -ts 80 80 small.tif warped.tif 2>/dev/null'
  echo 'gdaldem hillshade warped.tif final.tif -q'; } >p2.sh

phase "runs"
"$CAIRN" run p1.sh || fail "p1.sh"
"$CAIRN" run p2.sh || fail "p2.sh"

phase "text"
run_cairn compare p1.sh p2.sh
expect_eq "different: status 1" 1 "$RC"
expect_match "first stage same" "= same +A 1 / B 1: gdal_translate -q -outsize" "$OUT"
expect_match "second stage same" "= same +A 2 / B 2: gdaldem slope" "$OUT"
expect_match "replaced stage removed" "- removed step 3: gdal_translate -q -ot Byte" "$OUT"
expect_match "new stage added" "\+ added step 3: gdalwarp" "$OUT"
expect_match "second new stage added" "\+ added step 4: gdaldem hillshade" "$OUT"
expect_eq "no other step listed" 5 "$(grep -c '^[-+=~] ' <<<"$OUT")"
expect_match "final.tif differs, format-aware" "final\.tif: [0-9a-f]{12} -> [0-9a-f]{12}.*size: 120x60 -> 80x80" "$(echo $OUT)"

phase "json"
"$CAIRN" compare p1.sh p2.sh --json >c.json
expect_eq "json shape" "same same removed added added | 2 0 1 2 | gdal_translate -q -ot Byte -scale small.tif final.tif 2>/dev/null | final.tif:gdal,warped.tif:- | 3 4" "$(/usr/bin/python3 - <<'PYEOF'
import json
d = json.load(open("c.json"))
st = " ".join(s["status"] for s in d["steps"])
c = d["counts"]
rm = [s["a"]["command"] for s in d["steps"] if s["status"] == "removed"]
outs = ",".join("%s:%s" % (o["path"], o["diff"]["format"] if "diff" in o else "-") for o in d["outputs"])
assert set(d["runs"]) == {"A", "B"} and d["runs"]["A"]["script"] == "p1.sh"
for s in d["steps"]:
    assert "resources" in (s["a"] or s["b"]) and "wall_s" in (s["a"] or s["b"])["resources"]
print(st, "|", c["same"], c["changed"], c["removed"], c["added"], "|", rm[0], "|", outs, "|",
      d["runs"]["A"]["steps"], d["runs"]["B"]["steps"])
PYEOF
)"

phase "the same script again; a changed argument"
"$CAIRN" run p1.sh || fail "p1.sh again"
run_cairn compare p2.sh p1.sh
expect_eq "a script names its newest run" "removed removed added" \
	"$(grep -o '^[-+] [a-z]*' <<<"$OUT" | cut -c3- | tr '\n' ' ' | sed 's/ $//')"
sed -i 's/-s 111120/-s 100000/' p1.sh
"$CAIRN" run p1.sh || fail "p1.sh changed"
# @N: the session of the N-th newest step (3 steps per run of p1.sh).
run_cairn compare @4 @1
expect_eq "same script, one argument changed: status 1" 1 "$RC"
expect_match "the changed step paired" "~ changed +A 2 / B 2: gdaldem slope small.tif slope.tif -q -s 111120" "$OUT"
expect_match "its new command" "B runs: gdaldem slope small.tif slope.tif -q -s 100000" "$OUT"
expect_match "its program arguments" "program only in B: gdaldem slope small.tif slope.tif -q -s 100000" "$OUT"
expect_match "its output differs" "output slope\.tif" "$OUT"
expect_eq "only that step changed" "same changed same" \
	"$(grep -o '^[=~] [a-z]*' <<<"$OUT" | cut -c3- | tr '\n' ' ' | sed 's/ $//')"
run_cairn compare @4 @11
expect_eq "two runs of the same script: status 0" 0 "$RC"
expect_match "nothing differs" "the runs left the same files" "$OUT"

done_testing
