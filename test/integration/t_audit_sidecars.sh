#!/bin/bash
# ctest-labels: slow
# The audit commands on a GDAL pipeline whose steps write sidecars
# (`gdalinfo -stats` writes out/slope.tif.aux.xml): verify passes the
# unchanged pipeline and fails one made non-deterministic at the right
# step; rerun --into on another input gives, value by value, what the
# pipeline gives when run by hand on that input (the rerun's steps never
# read the working tree's sidecar of an output the chain rebuilds);
# status is fresh right after a run.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdaldem gdal_translate gdalinfo "$PY" "$EGM96"

mkdir -p data out
gdal_translate -q -projwin -30 20 10 -20 "$EGM96" data/dem.tif
gdal_translate -q -projwin -20 40 20 0 "$EGM96" data/other.tif
cat >pipeline.sh <<'EOF'
gdal_translate -q -srcwin 0 0 100 100 data/dem.tif out/clip.tif
gdaldem slope -q -s 111120 out/clip.tif out/slope.tif
gdalinfo -stats out/slope.tif | grep STATISTICS_MEAN > out/stats.txt
python3 -c "print('report', open('out/stats.txt').read().strip())" > out/report.txt
EOF
run_cairn run pipeline.sh
expect_eq "run" 0 "$RC"
[ -f out/slope.tif.aux.xml ] || fail "gdalinfo -stats wrote no sidecar (GDAL changed?)"

# status right after the run: everything it wrote is fresh.
run_cairn status --json
expect_eq "status after a run: what it wrote is fresh" \
	"fresh out/clip.tif fresh out/report.txt fresh out/slope.tif fresh out/slope.tif.aux.xml fresh out/stats.txt" \
	"$(echo "$OUT" | "$PY" -c '
import json, sys
print(" ".join("%s %s" % (o["state"], o["path"]) for o in json.load(sys.stdin) if o["path"].startswith("out/")))')"

# verify: the unchanged pipeline reproduces, sidecar and all.
run_cairn verify out/report.txt
expect_eq "verify of a reproducible pipeline" 0 "$RC"
expect_match "verify: the sidecar is compared, not missing" "out/slope.tif.aux.xml +identical" "$OUT"
expect_match "verify: reproduced" "reproduced" "$OUT"

# rerun --into another input = the pipeline run by hand on that input.
run_cairn rerun out/report.txt --with data/dem.tif=data/other.tif --into alt
expect_eq "rerun --into" 0 "$RC"
mkdir -p byhand/data byhand/out
cp data/other.tif byhand/data/dem.tif
(cd byhand && bash ../pipeline.sh) || fail "the pipeline by hand failed"
for f in out/report.txt out/stats.txt; do
	expect_eq "rerun --into: $f as by hand" "$(cat "byhand/$f")" "$(cat "alt/$f" 2>&1)"
done
for f in out/clip.tif out/slope.tif; do
	expect_eq "rerun --into: $f values as by hand" \
		"$(gdalinfo -checksum "byhand/$f" | grep Checksum)" \
		"$(gdalinfo -checksum "alt/$f" 2>&1 | grep Checksum)"
done
expect_eq "rerun --into: the sidecar's mean as by hand" \
	"$(grep -o 'STATISTICS_MEAN">[^<]*' byhand/out/slope.tif.aux.xml)" \
	"$(grep -o 'STATISTICS_MEAN">[^<]*' alt/out/slope.tif.aux.xml 2>&1)"
expect_eq "rerun --into: the report differs from the original's" "different" \
	"$(cmp -s out/report.txt alt/out/report.txt && echo same || echo different)"

# A raw input changed since the run: verify says so (it is read as it is
# now, its recorded version not being stored) and fails at the first step.
cp data/dem.tif dem.bak
cp data/other.tif data/dem.tif
run_cairn verify out/report.txt
expect_eq "verify after the input changed" 1 "$RC"
expect_match "verify: the changed input is named" "data/dem.tif has changed since the recorded steps read it" "$ERR"
expect_match "verify: the first step diverges" "first divergent step: [0-9a-f]+ \(gdal_translate" "$OUT"
cp dem.bak data/dem.tif

# A GDAL sidecar that differs beside a reproduced raster (GDAL's derived
# metadata, made again on demand) is shown, not counted.
cat >side.sh <<'EOF'
gdal_translate -q -srcwin 0 0 50 50 data/dem.tif out/side.tif &&
	echo "<PAMDataset><Metadata><MDI key=\"t\">$(date +%s%N)</MDI></Metadata></PAMDataset>" > out/side.tif.aux.xml &&
	echo done > out/side.done
EOF
run_cairn run side.sh
run_cairn verify out/side.done
expect_eq "verify: a differing sidecar beside its raster" 0 "$RC"
expect_match "verify: the sidecar is shown" "out/side.tif.aux.xml +different \(a GDAL sidecar" "$OUT"
run_cairn verify out/side.tif.aux.xml
expect_eq "verify of the sidecar itself: it differs" 1 "$RC"

# Directories the chain makes are hidden until it makes them: `mkdir d`
# without -p and `[ -d d ]` see what the recorded run saw (G5).
printf 'mkdir resd\necho a > resd/a.txt; mkdir resd/sub; echo s > resd/sub/b.txt\n[ -d cached ] && echo cached > dirs.txt || echo fresh > dirs.txt; mkdir cached; cat resd/a.txt resd/sub/b.txt >> dirs.txt\n' >dirs.sh
run_cairn run dirs.sh
run_cairn verify dirs.txt
expect_eq "verify: directories the chain makes" 0 "$RC"
run_cairn rerun dirs.txt --into altd
expect_eq "rerun --into: directories the chain makes" "0 fresh a s" "$RC $(cat altd/dirs.txt 2>&1 | tr '\n' ' ' | sed 's/ $//')"

# A file that exists in one run only is reported as such: missing above;
# made only by the verify run here.
printf 'if [ -e only.flag ]; then echo x > out/only.txt; fi; echo o > o.txt\n' >only.sh
run_cairn run only.sh
touch only.flag
run_cairn verify o.txt
expect_eq "verify: a file made only by this run" 1 "$RC"
expect_match "verify: it is named" "only in this run: out/only.txt" "$OUT"
rm -f only.flag
run_cairn verify o.txt
expect_eq "verify: without it, reproduced" 0 "$RC"

# A step made non-deterministic on purpose: verify fails there (exit 1).
cat >pipeline.sh <<'EOF'
gdal_translate -q -srcwin 0 0 100 100 data/dem.tif out/clip.tif
gdaldem slope -q -s 111120 out/clip.tif out/slope.tif
gdalinfo -stats out/slope.tif | grep STATISTICS_MEAN > out/stats.txt
python3 -c "import time; print('report', open('out/stats.txt').read().strip(), time.time_ns())" > out/report.txt
EOF
run_cairn run pipeline.sh
run_cairn verify out/report.txt
expect_eq "verify of a non-deterministic step" 1 "$RC"
expect_match "verify names the divergent step" "first divergent step: [0-9a-f]+ \(python3" "$OUT"
# Every lineage format shows the same steps, once each, after several
# runs: GDAL reads the sidecar of its own output (out/slope.tif.aux.xml)
# that the previous run left, and the chain of identical versions does
# not bring every earlier run back.
run_cairn run pipeline.sh
run_cairn run pipeline.sh
steps_of() { # FORMAT: the 8-hex step ids the format shows, sorted, one line
	case $1 in
	tree) "$CAIRN" lineage out/report.txt | grep -oE 'step [0-9a-f]{8}' | cut -c6- ;;
	dot) "$CAIRN" lineage out/report.txt --format dot | grep -oE '^	s[0-9]+ .*label="[0-9a-f]{8}' | grep -oE '[0-9a-f]{8}$' ;;
	json) "$CAIRN" lineage out/report.txt --format json | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["steps"]: print(s["id"][:8])' ;;
	prov-json) "$CAIRN" lineage out/report.txt --format prov-json | "$PY" -c '
import json, sys
for a in json.load(sys.stdin)["activity"]: print(a.split(":")[1][:8])' ;;
	ro-crate) "$CAIRN" lineage out/report.txt --format ro-crate | "$PY" -c '
import json, sys
for e in json.load(sys.stdin)["@graph"]:
    if e["@id"].startswith("#step-"): print(e["@id"][6:14])' ;;
	esac | sort -u | tr '\n' ' '
}
want=$(steps_of json)
expect_eq "lineage: the 4 steps of the current run" 4 "$(wc -w <<<"$want")"
for fmt in tree dot prov-json ro-crate; do
	expect_eq "lineage: $fmt shows the same steps as json" "$want" "$(steps_of $fmt)"
done
code_ids=$("$CAIRN" lineage out/report.txt | grep -oE 'code: pipeline\.sh @ [0-9a-f]+' | sort -u)
expect_eq "lineage: the script named with one version id" \
	"code: pipeline.sh @ $(sha256sum pipeline.sh | cut -c1-8)" "$code_ids"

# status after a run on a changed input: the run's gdaldem read (and
# removed) the sidecar the previous run's gdalinfo made from the previous
# slope.tif; that is not an input of what it made, so everything is fresh,
# and changing the input again makes exactly its downstream stale.
cp data/dem.tif dem.bak
cp data/other.tif data/dem.tif
run_cairn run pipeline.sh
outs_state() {
	"$CAIRN" status --json | "$PY" -c '
import json, sys
print(" ".join("%s %s" % (o["state"], o["path"]) for o in json.load(sys.stdin)
               if o["path"].startswith("out/") and not o["path"].startswith("out/side")))'
}
expect_eq "status after a run on another input: fresh" \
	"fresh out/clip.tif fresh out/report.txt fresh out/slope.tif fresh out/slope.tif.aux.xml fresh out/stats.txt" \
	"$(outs_state)"
cp dem.bak data/dem.tif
expect_eq "status after the input changed: its downstream stale" \
	"stale out/clip.tif stale out/report.txt stale out/slope.tif stale out/slope.tif.aux.xml stale out/stats.txt" \
	"$(outs_state)"
run_cairn status
expect_eq "status: every reason is the changed input" 5 "$(grep -c 'input data/dem.tif changed)$' <<<"$OUT")"
run_cairn lineage out/slope.tif --format json
expect_eq "lineage after a run on another input: this run's steps" 2 \
	"$(echo "$OUT" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))')"
run_cairn run pipeline.sh

# Found by review: a hand-made file changed in place by the chain (sed -i,
# >>) is read in the version the steps read, not hidden (F3); a recorded
# program put back keeps its mode (F6); a second rerun into the same
# directory reads this rerun's outputs, not the first rerun's (F8).
mkdir -p inplace && cd inplace || exit 1
run_cairn init
echo "a=1" >conf.txt
printf 'sed -i s/1/2/ conf.txt\ncat conf.txt > out.txt\necho line >> log.txt\n' >p.sh
run_cairn run p.sh
run_cairn verify out.txt
expect_eq "in place: verify reproduces" 0 "$RC"
run_cairn rerun out.txt --into alt
expect_eq "in place: rerun --into as recorded" "0 a=2" "$RC $(cat alt/out.txt 2>&1)"
printf '#!/bin/sh\necho v1\n' >tool.sh
chmod +x tool.sh
run_cairn -c 'cp tool.sh bak.sh'
run_cairn -c './tool.sh > t.txt'
printf '#!/bin/sh\necho v2\n' >tool.sh
run_cairn rerun t.txt --into alt4
[ "$RC" = 0 ] || echo "rerun --into alt4 said: $ERR" >&2
expect_eq "recorded program: run in its recorded version" "0 v1" "$RC $(cat alt4/t.txt 2>&1)"
printf '#!/bin/sh\necho tool-a\n' >edit.sh
chmod +x edit.sh
printf 'sed -i s/tool-a/tool-b/ edit.sh\n./edit.sh > e.txt\n' >pe.sh
run_cairn run pe.sh
run_cairn verify e.txt
expect_eq "a program edited in place: verify reproduces" 0 "$RC"
echo v1 >in.txt
echo v9 >in2.txt
printf 'cat in.txt > out2.txt\ncat out2.txt > r.txt\n' >q.sh
run_cairn run q.sh
run_cairn rerun r.txt --with in.txt=in2.txt --into alt3
expect_eq "rerun into a directory: first" "v9" "$(cat alt3/r.txt 2>&1)"
echo v8 >in2.txt
run_cairn rerun r.txt --with in.txt=in2.txt --into alt3
expect_eq "rerun into the same directory again: this rerun's outputs" "v8 v8" \
	"$(cat alt3/out2.txt alt3/r.txt 2>&1 | tr '\n' ' ' | sed 's/ $//')"
cd ..

# A file read and deleted that is not named after an output of the step
# is an input as usual (an accumulator), companion rule or not.
mkdir -p acc && cd acc || exit 1
run_cairn init
echo in1 >in.txt
echo base >out.txt
printf 'tr a-z A-Z < out.txt > state.txt\ncat state.txt in.txt > out.txt; rm state.txt\n' >acc.sh
run_cairn run acc.sh
run_cairn lineage out.txt
expect_match "accumulator: the step that made state.txt is in the lineage" "step [0-9a-f]+  tr a-z A-Z" "$OUT"
cd ..

# Smaller things from the same trial.
run_cairn why no-such-file
expect_eq "why of a path with no record: not found" 1 "$RC"
expect_match "why of a path with no record: says so" "no-such-file: no such file, and no recorded step wrote it" "$ERR"
run_cairn show @1
expect_match "show: system files counted" "system files? read, [0-9]+ absent probes?: --all lists them" "$OUT"
expect_eq "show: system files not listed" "" "$(echo "$OUT" | grep -E '^  [a-z]+ +/(usr|etc|lib)' | head -1)"
run_cairn show @1 --all
expect_match "show --all: system files listed" "
  (file|exec) +/(usr|etc)/" "$OUT"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
	su nobody -s /bin/sh -c "test -x '$CAIRN'" 2>/dev/null; then
	ro=$(mktemp -d /tmp/cairn-ro.XXXXXX) && chmod 755 "$ro"
	out=$(cd "$ro" && su nobody -s /bin/sh -c "'$CAIRN' -c 'echo hi'" 2>&1)
	expect_match "read-only directory: says so and names --store" \
		"the directory is not writable for you; give the store another place with --store DIR or CAIRN_STORE=DIR" "$out"
	[ -e "$ro/.cairn" ] && fail "read-only directory: a store appeared"
	rm -rf "$ro"
fi
done_testing
