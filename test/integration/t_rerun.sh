#!/bin/bash
# ctest-labels: slow
# cairn rerun: a path rebuilt through its recorded lineage with an input
# swapped -- only the chain that made it runs, the branch the swap does
# not reach is served from the cache, earlier versions stay retrievable;
# --into DIR leaves the working files alone; errors change nothing; the
# into directory cannot lead out of the project.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdaldem gdal_translate "$EGM96"

# Three small DEMs: crops of the EGM96 geoid in different places.
mkdir -p data data/g
gdal_translate -q -srcwin 100 100 60 50 "$EGM96" data/a.tif
gdal_translate -q -srcwin 700 300 60 50 "$EGM96" data/b.tif
gdal_translate -q -srcwin 1000 500 60 50 "$EGM96" data/c.tif
gdal_translate -q -srcwin 300 200 60 50 "$EGM96" data/s.tif
echo hello >data/g/x.txt
echo "hello world" >data/h.txt
echo bye >data/bye.txt
cat >pipeline.sh <<'EOF'
dem=data/a.tif
mkdir -p out
gdaldem slope -q "$dem" out/slope.tif
gdaldem hillshade -q data/s.tif out/shade.tif
gdal_translate -q -of AAIGrid out/slope.tif out/slope.asc
gdal_translate -q -of AAIGrid out/shade.tif out/shade.asc
cat out/slope.asc out/shade.asc > out/both.txt
echo unrelated > out/other.txt
cat data/g/*.txt > out/glob.txt
head -c 100 data/h.txt > out/h.txt
grep -q hello out/h.txt && cp out/h.txt out/final.txt
gdaldem slope -q data/a.tif out/slope2.tif; echo data/a.tif.bak olddata/a.tif x/data/a.tif ./data/a.tif "data/a.tif" > out/names.txt
EOF
# Twice: the second run's traces see the outputs already there, as every
# later run does, so they are the ones a rerun meets.
run_cairn run pipeline.sh
expect_eq "first run" 0 "$RC"
run_cairn run pipeline.sh
expect_eq "second run" 0 "$RC"

sums() { find out rebuilt -type f 2>/dev/null | sort | xargs sha256sum; }
nsteps() { "$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# writer PATH: the newest step that wrote PATH (from the records).
writer() {
	"$CAIRN" lineage "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_step"])'
}
status_of() {
	"$CAIRN" status --json | python3 -c '
import json, sys
print(sorted((e["path"], e["state"]) for e in json.load(sys.stdin) if not e["path"].startswith(sys.argv[1])))' "$1"
}

OLDSTEP=$(writer out/both.txt)
OLD_SLOPE_STEP=$(writer out/slope.tif)
cp out/both.txt old-both.txt
cp out/slope.tif old-slope.tif
cp out/shade.tif old-shade.tif
cp out/other.txt old-other.txt
"$CAIRN" show "$OLDSTEP" --json >old-show.json
N0=$(nsteps)

# ---- errors first: clear messages, status 2, nothing changed -------------
SUMS0=$(sums)
run_cairn rerun out/never.tif
expect_eq "never recorded: status" 2 "$RC"
expect_match "never recorded: message" "out/never.tif was never written by a recorded step" "$ERR"
run_cairn rerun out/both.txt --with data/zzz.tif=data/b.tif
expect_eq "OLD not in the lineage: status" 2 "$RC"
expect_match "OLD not in the lineage: message" "no step in the lineage of out/both.txt read data/zzz.tif" "$ERR"
run_cairn rerun out/glob.txt --with data/g/x.txt=data/bye.txt
expect_eq "OLD named by no command: status" 2 "$RC"
expect_match "OLD named by no command: message" "reads data/g/x.txt, but neither its command nor its variables name it" "$ERR"
run_cairn rerun out/both.txt --with data/a.tif=data/missing.tif
expect_eq "NEW missing: status" 2 "$RC"
expect_match "NEW missing: message" "data/missing.tif: No such file or directory" "$ERR"
run_cairn rerun out/both.txt --with data/a.tif
expect_eq "--with without =: status" 2 "$RC"
expect_eq "errors: working files unchanged" "$SUMS0" "$(sums)"
expect_eq "errors: nothing recorded" "$N0" "$(nsteps)"

# ---- a step of the chain fails: status 1, nothing changed ----------------
run_cairn rerun out/final.txt --with data/h.txt=data/bye.txt
expect_eq "failing chain: status" 1 "$RC"
expect_match "failing chain: names the step" "step [0-9a-f]{8} \(grep -q hello out/h.txt" "$ERR"
expect_eq "failing chain: out/h.txt put back" "hello world" "$(cat out/h.txt)"
expect_eq "failing chain: working files unchanged" "$SUMS0" "$(sums)"
expect_eq "failing chain: nothing recorded" "$N0" "$(nsteps)"

# ---- rerun with one DEM swapped for another -----------------------------
# OLD given relative to the working directory: normalised.
mkdir -p sub
(cd sub && "$CAIRN" rerun ../out/both.txt --with ../data/a.tif=../data/b.tif) >rerun.out 2>rerun.err
RC=$?
expect_eq "rerun: status" 0 "$RC"
expect_match "rerun: summary counts" "5 steps in its lineage: 2 cached, 3 ran" "$(cat rerun.err)"
expect_match "rerun: summary names the substitution" "substituted data/a.tif -> data/b.tif" "$(cat rerun.err)"
cmp -s out/slope.tif old-slope.tif && fail "rerun: out/slope.tif was not rebuilt"
cmp -s out/both.txt old-both.txt && fail "rerun: out/both.txt was not rebuilt"
cmp -s out/shade.tif old-shade.tif || fail "rerun: out/shade.tif changed"
cmp -s out/other.txt old-other.txt || fail "rerun: out/other.txt changed"
N1=$(nsteps)
expect_eq "rerun: five steps recorded" "$((N0 + 5))" "$N1"
# The new session's records, oldest first.
"$CAIRN" log -n 5 --json >new.json
python3 - new.json "$OLD_SLOPE_STEP" >check.out <<'PY'
import json, subprocess, sys, os
steps = list(reversed(json.load(open(sys.argv[1]))))
cairn = os.environ["CAIRN"]
out = []
sessions = {s["session"] for s in steps}
out.append("one session: %s" % (len(sessions) == 1))
for s in steps:
    r = json.loads(subprocess.run([cairn, "show", s["id"], "--json"], capture_output=True).stdout)
    out.append("%s|%s|%s|%s" % (r["command"].split()[0] + " " + r["command"].split()[1],
                                r["cached"], r["rerun"]["with"], bool(r["rerun"]["of_step"])))
    if r["command"].startswith("gdaldem slope"):
        out.append("slope reads b: %s" % ("data/b.tif" in {x["path"] for x in r["reads"]}))
        out.append("slope state: %s" % ('declare -- dem="data/b.tif"' in r["start_state"]["vars"]))
        out.append("slope of_step: %s" % (r["rerun"]["of_step"] == sys.argv[2]))
        out.append("slope mode/argv0: %s %s" % (r["mode"], r["argv0"]))
print("\n".join(out))
PY
W="[{'old': 'data/a.tif', 'new': 'data/b.tif'}]"
expect_eq "rerun records" "one session: True
gdaldem slope|False|$W|True
slope reads b: True
slope state: True
slope of_step: True
slope mode/argv0: script pipeline.sh
gdaldem hillshade|True|$W|True
gdal_translate -q|False|$W|True
gdal_translate -q|True|$W|True
cat out/slope.asc|False|$W|True" "$(cat check.out)"
run_cairn show @1
expect_match "show: the rerun line" "rerun +of step ${OLDSTEP:0:8} with data/a.tif -> data/b.tif" "$OUT"
# The earlier version and its record stay retrievable.
"$CAIRN" show "$OLDSTEP" --json >old-show2.json
cmp -s old-show.json old-show2.json || fail "rerun: cairn show OLDSTEP changed"
NEWBOTH=$(sha256sum <out/both.txt)
run_cairn checkout out/both.txt --at "$OLDSTEP"
expect_eq "checkout --at OLDSTEP: status" 0 "$RC"
cmp -s out/both.txt old-both.txt || fail "checkout --at OLDSTEP: not the old bytes"
run_cairn checkout out/both.txt
expect_eq "checkout newest: the rebuilt bytes" "$NEWBOTH" "$(sha256sum <out/both.txt)"

# OLD is replaced as a whole path only, in each form the command uses.
run_cairn rerun out/names.txt --with data/a.tif=data/c.tif
expect_eq "whole words: status" 0 "$RC"
expect_eq "whole words: only the paths themselves" "data/a.tif.bak olddata/a.tif x/data/a.tif ./data/c.tif data/c.tif" "$(cat out/names.txt)"
expect_eq "whole words: command recorded" 'gdaldem slope -q data/c.tif out/slope2.tif; echo data/a.tif.bak olddata/a.tif x/data/a.tif ./data/c.tif "data/c.tif" > out/names.txt' "$(rec @1 'r["command"]')"

# ---- --into DIR: working files untouched ---------------------------------
SUMS1=$(sums)
STATUS1=$(status_of rebuilt/)
N1=$(nsteps)
run_cairn rerun out/both.txt --into rebuilt --with data/b.tif=data/c.tif
expect_eq "into: status" 0 "$RC"
expect_match "into: summary says where" "results are in rebuilt/" "$ERR"
expect_eq "into: working files byte-identical" "$(echo "$SUMS1")" "$(find out -type f | sort | xargs sha256sum)"
expect_eq "into: status of working files unchanged" "$STATUS1" "$(status_of rebuilt/)"
for f in out/slope.tif out/slope.asc out/shade.asc out/both.txt; do
	[ -f "rebuilt/$f" ] || fail "into: rebuilt/$f missing"
done
cmp -s rebuilt/out/slope.tif out/slope.tif && fail "into: rebuilt/out/slope.tif is not the swapped DEM's"
gdaldem slope -q data/c.tif expect-slope.tif
expect_eq "into: rebuilt slope is c's" "$("$PY" -c '
import sys
from osgeo import gdal
a = gdal.Open(sys.argv[1]).ReadAsArray(); b = gdal.Open(sys.argv[2]).ReadAsArray()
print((a == b).all())' rebuilt/out/slope.tif expect-slope.tif)" True
# The last step read the rebuilt files from DIR; its record says so.
expect_eq "into: cat wrote rebuilt/out/both.txt" "True" "$(rec @1 '"rebuilt/out/both.txt" in writes() and not any(p.startswith("out/") for p in writes())')"
expect_eq "into: cat read rebuilt/out/slope.asc" "True" "$(rec @1 '"rebuilt/out/slope.asc" in reads("file")')"
expect_eq "into: record names the into directory" "rebuilt" "$(rec @1 'r["into"]')"
# A normal rerun is not served by the --into run's traces, nor the reverse.
INTOKEY=$(rec @1 'r["cache"]["key"]')
NORMALKEY=$("$CAIRN" show "$(writer out/both.txt)" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["key"])')
[ "$INTOKEY" != "$NORMALKEY" ] || fail "into: same action key as a normal run"

# A file the --into run made is rebuilt into the same directory.
run_cairn rerun rebuilt/out/both.txt
expect_eq "rerun of an into file: status" 0 "$RC"
expect_match "rerun of an into file: says so" "made by a rerun --into rebuilt: into it again" "$ERR"
expect_match "rerun of an into file: its own chain only" "rebuilt/out/both.txt: 5 steps in its lineage" "$ERR"
expect_eq "rerun of an into file: working files untouched" "$(echo "$SUMS1")" "$(find out -type f | sort | xargs sha256sum)"
expect_eq "rerun of an into file: into rebuilt" "rebuilt True" "$(rec @1 'r["into"] + " " + str("rebuilt/out/both.txt" in writes())')"

# Outside the project: a new directory, named absolutely in the records,
# and accepted again by the next --into (it carries cairn's mark).
OUTSIDE=$(mktemp -d "${TMPDIR:-/tmp}/cairn-into.XXXXXX")
rmdir "$OUTSIDE"
run_cairn rerun out/slope.asc --into "$OUTSIDE"
expect_eq "into outside: status" 0 "$RC"
expect_eq "into outside: absolute names" "True True" "$(rec @1 'str("'"$OUTSIDE"'/out/slope.asc" in writes()) + " " + str("'"$OUTSIDE"'/out/slope.tif" in reads("file"))')"
expect_eq "into outside: only the rebuilt files" "out" "$(ls -A "$OUTSIDE" | grep -vx .cairn-into)"
run_cairn rerun out/slope.asc --into "$OUTSIDE"
expect_eq "into outside again: status" 0 "$RC"
rm -rf "$OUTSIDE"

# ---- the into directory must not lead out of the project ------------------
N2=$(nsteps)
CANARY=$(mktemp -d "${TMPDIR:-/tmp}/cairn-canary.XXXXXX")
echo canary >"$CANARY/keep.txt"
EMPTY=$(mktemp -d "${TMPDIR:-/tmp}/cairn-canary.XXXXXX")
ln -s "$EMPTY" escape
run_cairn rerun out/both.txt --into escape
expect_eq "into a symlink out of the project: refused" 2 "$RC"
expect_match "into a symlink out of the project: message" "leads out of the project" "$ERR"
expect_eq "into a symlink: nothing written there" "" "$(ls -A "$EMPTY")"
run_cairn rerun out/both.txt --into "$CANARY"
expect_eq "into a non-empty outside directory: refused" 2 "$RC"
expect_eq "into: the canary is untouched" "keep.txt" "$(ls -A "$CANARY")"
run_cairn rerun out/both.txt --into /etc
expect_eq "into /etc: refused" 2 "$RC"
run_cairn rerun out/both.txt --into .cairn/x
expect_eq "into the store: refused" 2 "$RC"
run_cairn rerun out/both.txt --into ..
expect_eq "into a directory holding the project: refused" 2 "$RC"
expect_eq "refusals: nothing recorded" "$N2" "$(nsteps)"
rm -rf "$CANARY" "$EMPTY"

# ---- a start state missing from the store: a clear error, nothing run ----
OTHER=$(writer out/other.txt)
ST=$("$CAIRN" show "$OTHER" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["start_state"]["state_sha256"])')
rm -f ".cairn/cas/sha256/${ST:0:2}/${ST:2}" ".cairn/cas/sha256/${ST:0:2}/${ST:2}.zst"
N3=$(nsteps)
run_cairn rerun out/other.txt
expect_eq "start state missing: status" 2 "$RC"
expect_match "start state missing: names the step" "the start state of step ${OTHER:0:8} \(echo unrelated > out/other.txt\) is not in the content store" "$ERR"
expect_eq "start state missing: nothing recorded" "$N3" "$(nsteps)"

done_testing
