#!/bin/bash
# ctest-labels: slow
# The lineage store on a three-level pipeline recorded by the fixture tool
# (through the real provenance API): init, log, show, show --code,
# status, checkout, the CAS, git's view of the store, error statuses.
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"
export TZ=UTC
FIX() { "$PROV_FIXTURE" "$@"; }
# json FILE EXPR: evaluate a Python expression over the JSON document j.
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

mkdir proj && cd proj || exit 1

run_cairn log
expect_eq "log without a store" 1 "$RC"
expect_match "log without a store says so" "no cairn store .*cairn init" "$ERR"

run_cairn init
expect_eq "init" 0 "$RC"
expect_match "init message" "^Initialized empty cairn store in .*/proj/\.cairn$" "$OUT"
for d in lineage.git cas actions tmp; do
	[ -d ".cairn/$d" ] || fail "init made no .cairn/$d"
done
[ -f .cairn/config ] || fail "init made no .cairn/config"
expect_eq "lineage.git is bare with head main" "ref: refs/heads/main" "$(cat .cairn/lineage.git/HEAD)"
run_cairn init
expect_match "init again" "^Reinitialized existing" "$OUT"

run_cairn log
expect_eq "log of an empty store" 0 "$RC"
expect_eq "log of an empty store prints nothing" "" "$OUT"
run_cairn show @1
expect_eq "show @1 of an empty store" 1 "$RC"
expect_match "show @1 of an empty store" "no steps yet" "$ERR"

# --- a three-level pipeline --------------------------------------------
printf 'tr a-z A-Z < "$1" > "$2"\n' > prep.sh
printf 'import sys\nprint(open(sys.argv[1]).read().count("\\n"))\n' > plot.py
printf 'a,1\nb,2\n' > raw.csv
cp prep.sh "$T_DIR/prep.v1"

tr a-z A-Z < raw.csv > clean.csv
S1=$(FIX step --command 'sh prep.sh raw.csv clean.csv' --started 2026-12-07T09:00:00.100Z \
	--finished 2026-12-07T09:00:01.350Z --script pipeline.sh --argv 'sh prep.sh raw.csv clean.csv' \
	--argv 'tr a-z A-Z' --exec prep.sh --read raw.csv --write clean.csv) || fail "record step 1"
sort -r clean.csv > warped.csv
S2=$(FIX step --command 'gdalwarp -m 12 clean.csv warped.csv' --started 2026-12-07T09:01:00.000Z \
	--argv 'gdalwarp -m 12 clean.csv warped.csv' --read clean.csv --write warped.csv) || fail "record step 2"
echo 2 > plot.txt
S3=$(FIX step --command $'python3 plot.py warped.csv plot.txt\n# second line' \
	--started 2026-12-07T09:02:00.000Z --status 0 --read plot.py --read warped.csv \
	--write plot.txt) || fail "record step 3"
expect_match "step ids" "^[0-9a-f]{32}$" "$S1"

run_cairn log
expect_eq "log status" 0 "$RC"
expect_eq "log lines" 3 "$(printf '%s\n' "$OUT" | wc -l)"
expect_match "log newest first" "^${S3:0:8}  2026-12-07 09:02:00  ok +ran +python3 plot.py warped.csv plot.txt \.\.\." "$OUT"
expect_match "log oldest last" $'\n'"${S1:0:8}  2026-12-07 09:00:00  ok +ran +sh prep.sh raw.csv clean.csv$" "$OUT"
run_cairn log -n 1
expect_eq "log -n 1" 1 "$(printf '%s\n' "$OUT" | wc -l)"
expect_match "log -n 1 is the newest" "^${S3:0:8}" "$OUT"
run_cairn log -n1
expect_match "log -n1" "^${S3:0:8}" "$OUT"

"$CAIRN" log --json > "$T_DIR/log.json"
expect_eq "log --json is an array of 3" 3 "$(json "$T_DIR/log.json" 'len(j)')"
expect_eq "log --json keys" "cached command exit_status id seq session started wall_s" \
	"$(json "$T_DIR/log.json" '" ".join(sorted(j[0]))')"
expect_eq "log --json [0].id" "$S3" "$(json "$T_DIR/log.json" 'j[0]["id"]')"
expect_eq "log --json [2].id" "$S1" "$(json "$T_DIR/log.json" 'j[2]["id"]')"
expect_eq "log --json seq" "3 2 1" "$(json "$T_DIR/log.json" '" ".join(str(s["seq"]) for s in j)')"
expect_eq "log --json session" "20261130T090000Z-0f1c7e00" "$(json "$T_DIR/log.json" 'j[1]["session"]')"
expect_eq "log --json command" "gdalwarp -m 12 clean.csv warped.csv" "$(json "$T_DIR/log.json" 'j[1]["command"]')"
expect_eq "log --json cached" "False" "$(json "$T_DIR/log.json" 'j[1]["cached"]')"
expect_eq "log --json exit_status" "0" "$(json "$T_DIR/log.json" 'j[1]["exit_status"]')"
expect_eq "log --json started" "2026-12-07T09:00:00.100Z" "$(json "$T_DIR/log.json" 'j[2]["started"]')"
expect_eq "log --json wall_s" "0.25" "$(json "$T_DIR/log.json" 'j[2]["wall_s"]')"
"$CAIRN" log -n 2 --json > "$T_DIR/log2.json"
expect_eq "log -n 2 --json" 2 "$(json "$T_DIR/log2.json" 'len(j)')"

# --- show ----------------------------------------------------------------
"$CAIRN" show "${S3:0:6}" --json > "$T_DIR/s3.json" || fail "show --json"
expect_eq "show --json id" "$S3" "$(json "$T_DIR/s3.json" 'j["id"]')"
expect_eq "show --json command" $'python3 plot.py warped.csv plot.txt\n# second line' "$(json "$T_DIR/s3.json" 'j["command"]')"
expect_eq "show --json reads sorted" "plot.py warped.csv" "$(json "$T_DIR/s3.json" '" ".join(r["path"] for r in j["reads"])')"
expect_eq "show --json read sha" "$(sha warped.csv)" "$(json "$T_DIR/s3.json" 'j["reads"][1]["sha256"]')"
expect_eq "show --json producer link" "$S2" "$(json "$T_DIR/s3.json" 'j["reads"][1]["producer"]')"
expect_eq "show --json no producer for a hand-made file" "None" "$(json "$T_DIR/s3.json" 'j["reads"][0]["producer"]')"
expect_eq "show --json write" "plot.txt $(sha plot.txt) 2 0644 file" \
	"$(json "$T_DIR/s3.json" '" ".join(str(j["writes"][0][k]) for k in ("path","sha256","size","mode","kind"))')"
expect_eq "show --json code: the script, not the CSV it read" "plot.py" "$(json "$T_DIR/s3.json" '" ".join(c["path"] for c in j["code"])')"
expect_eq "show --json code sha" "$(sha plot.py)" "$(json "$T_DIR/s3.json" 'j["code"][0]["sha256"]')"
expect_eq "show --json code blob is git's" "$(git hash-object plot.py)" "$(json "$T_DIR/s3.json" 'j["code"][0]["blob"]')"
expect_eq "show --json git null outside a work tree" "None" "$(json "$T_DIR/s3.json" 'j["git"]')"
expect_eq "show --json tags" "{}" "$(json "$T_DIR/s3.json" 'j["tags"]')"
"$CAIRN" show @3 --json > "$T_DIR/s1.json"
expect_eq "show @3 is step 1" "$S1" "$(json "$T_DIR/s1.json" 'j["id"]')"
expect_eq "show @3 script" "pipeline.sh" "$(json "$T_DIR/s1.json" 'j["script"]')"
expect_eq "show @3 exec tree" "bash|sh prep.sh raw.csv clean.csv|tr a-z A-Z" \
	"$(json "$T_DIR/s1.json" '"|".join(e["argv"][0] if e["argv"][0]=="bash" else " ".join(e["argv"]) for e in j["exec_tree"])')"
# Every field of the schema is there.
for k in record_version id session seq command line script shell shell_path start_state \
	state_change started finished exit_status signal interrupted cached sandbox reads writes \
	exec_tree stdout_sha256 stderr_sha256 resources formats code git tags; do
	[ "$(json "$T_DIR/s1.json" "'$k' in j")" = True ] || fail "show --json lacks $k"
done

run_cairn show "${S1:0:8}"
expect_eq "show text status" 0 "$RC"
expect_match "show text id" "^step      $S1" "$OUT"
expect_match "show text script line" "session   20261130T090000Z-0f1c7e00  step 1  \(pipeline.sh:1\)" "$OUT"
expect_match "show text times" "finished  2026-12-07 09:00:01 UTC  \(0.250 s\)" "$OUT"
expect_match "show text status line" "status    0, ran" "$OUT"
expect_match "show text read with short hash" "  file     raw.csv  $(sha raw.csv | cut -c1-12)  8 B" "$OUT"
expect_match "show text exec read" "  exec     prep.sh  " "$OUT"
expect_match "show text write" "  file     clean.csv  $(sha clean.csv | cut -c1-12)  8 B  0644" "$OUT"
expect_match "show text exec tree nests" $'exec tree:\n  bash -c .*\n    sh prep.sh raw.csv clean.csv\n    tr a-z A-Z' "$OUT"
expect_match "show text resources" "resources cpu 0.150 s user" "$OUT"
run_cairn show "${S3:0:8}"
expect_match "show text producer" "warped.csv  $(sha warped.csv | cut -c1-12)  8 B  \(from step ${S2:0:8}\)" "$OUT"
expect_match "show text multi-line command" $'command\n  python3 plot.py warped.csv plot.txt\n  # second line' "$OUT"

# --- show --code after the script was edited ------------------------------
printf '(echo K,V; tr a-z A-Z < "$1") > "$2"   # v2\n' > prep.sh
(echo K,V; tr a-z A-Z < raw.csv) > clean.csv
S4=$(FIX step --command 'sh prep.sh raw.csv clean.csv' --started 2026-12-07T09:03:00.000Z \
	--exec prep.sh --read raw.csv --write clean.csv) || fail "record step 4"
"$CAIRN" show "$S1" --code prep.sh > "$T_DIR/got.v1"
expect_eq "show --code status" 0 "$?"
cmp -s "$T_DIR/got.v1" "$T_DIR/prep.v1" || fail "show --code of step 1 is not the old prep.sh"
"$CAIRN" show @1 --code prep.sh > "$T_DIR/got.v2"
cmp -s "$T_DIR/got.v2" prep.sh || fail "show --code of step 4 is not the new prep.sh"
mkdir sub && (cd sub && "$CAIRN" show "$S1" --code ../prep.sh > "$T_DIR/got.sub") && cmp -s "$T_DIR/got.sub" "$T_DIR/prep.v1" \
	|| fail "show --code with a path relative to a subdirectory"
run_cairn show "$S2" --code prep.sh
expect_eq "show --code of a file the step did not read" 1 "$RC"
expect_match "show --code message" "stored no code file prep.sh \(it stored none\)" "$ERR"
git --git-dir .cairn/lineage.git show "$(git --git-dir .cairn/lineage.git rev-parse refs/cairn/sessions/20261130T090000Z-0f1c7e00~3):code/prep.sh" > "$T_DIR/got.git"
cmp -s "$T_DIR/got.git" "$T_DIR/prep.v1" || fail "git show of step 1's code/prep.sh"

# --- status ----------------------------------------------------------------
run_cairn status
expect_eq "status" 0 "$RC"
expect_match "status fresh" "  fresh     clean.csv" "$OUT"
# warped.csv was derived from step 1's clean.csv, rewritten by step 4.
expect_match "status stale after a rewrite" "  stale     warped.csv  \(input clean.csv changed\)" "$OUT"
expect_match "status stale transitively" "  stale     plot.txt  \(input warped.csv is stale: input clean.csv changed\)" "$OUT"
expect_match "status untracked" $'Untracked files \\(no step wrote them\\):\n  plot.py\n  prep.sh\n  raw.csv$' "$OUT"
echo tampered > plot.txt
rm warped.csv
"$CAIRN" status --json > "$T_DIR/st.json"
expect_eq "status --json" \
	"clean.csv:fresh plot.txt:modified warped.csv:deleted plot.py:untracked" \
	"$(json "$T_DIR/st.json" '" ".join(e["path"]+":"+e["state"] for e in j[:4])')"
expect_eq "status --json untracked has no step" "False" "$(json "$T_DIR/st.json" '"step" in j[3]')"
echo 'c,3' >> raw.csv
"$CAIRN" status --json > "$T_DIR/st.json"
expect_eq "status: an input changed" "stale" "$(json "$T_DIR/st.json" '[e["state"] for e in j if e["path"]=="clean.csv"][0]')"

# --- checkout ----------------------------------------------------------------
run_cairn checkout plot.txt --at "$S3"
expect_eq "checkout status" 0 "$RC"
expect_eq "checkout restores the bytes" "2" "$(cat plot.txt)"
run_cairn checkout warped.csv
expect_eq "checkout without --at (latest version)" 0 "$RC"
expect_eq "checkout restores a deleted file" "$(sort -r <(printf 'A,1\nB,2\n'))" "$(cat warped.csv)"
run_cairn checkout clean.csv --at "$S1"
expect_eq "checkout an older version" "$(printf 'A,1\nB,2\n')" "$(cat clean.csv)"
expect_match "checkout says which" "restored clean.csv as step ${S1:0:8} wrote it" "$OUT"
run_cairn checkout clean.csv --at "$S3"
expect_eq "checkout from a step that did not write it" 1 "$RC"
expect_match "checkout message" "step ${S3:0:8} did not write clean.csv" "$ERR"
# A corrupt object is refused and the file left alone.
obj=".cairn/cas/sha256/$(sha plot.txt | cut -c1-2)/$(sha plot.txt | cut -c3-)"
[ -f "$obj" ] || fail "the CAS holds plot.txt's bytes at $obj"
chmod u+w "$obj" && echo garbage > "$obj"
echo mine > plot.txt
run_cairn checkout plot.txt --at "$S3"
expect_eq "checkout of a corrupt object" 125 "$RC"
expect_match "corrupt object message" "content store object .* is corrupt" "$ERR"
expect_eq "corrupt object leaves the file" "mine" "$(cat plot.txt)"
rm -f "$obj"
run_cairn checkout plot.txt --at "$S3"
expect_eq "checkout of a missing object" 1 "$RC"
expect_match "missing object message" "cannot restore plot.txt as step ${S3:0:8} wrote it: the content store has no object" "$ERR"
expect_eq "missing object leaves the file" "mine" "$(cat plot.txt)"
ls .cairn/tmp | grep -q . && fail "checkout left files in .cairn/tmp"
ls -a | grep -q cairn-checkout && fail "checkout left a temporary file"

# --- the repository is plain git ---------------------------------------------
git --git-dir .cairn/lineage.git fsck --strict > "$T_DIR/fsck.out" 2>&1 || fail "git fsck: $(cat "$T_DIR/fsck.out")"
grep -qE 'error|dangling|missing' "$T_DIR/fsck.out" && fail "git fsck: $(cat "$T_DIR/fsck.out")"
git --git-dir .cairn/lineage.git log --all --oneline > "$T_DIR/glog.out" || fail "git log --all"
expect_eq "git log --all: a commit per step and per index update" 8 "$(wc -l < "$T_DIR/glog.out")"
expect_eq "refs" "refs/cairn/index refs/cairn/latest refs/cairn/sessions/20261130T090000Z-0f1c7e00" \
	"$(git --git-dir .cairn/lineage.git for-each-ref --format='%(refname)' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "commit message" $'python3 plot.py warped.csv plot.txt\n\nstatus: 0' \
	"$(git --git-dir .cairn/lineage.git log -1 --format=%B "$(git --git-dir .cairn/lineage.git rev-parse refs/cairn/sessions/20261130T090000Z-0f1c7e00~1)")"

# --- step specs and errors ---------------------------------------------------------
FIX step --id abcd0000000000000000000000000000 --command 'first' >/dev/null
FIX step --id abcd1111111111111111111111111111 --command 'second' >/dev/null
run_cairn show abcd
expect_eq "ambiguous prefix" 1 "$RC"
expect_match "ambiguous prefix message" "step id abcd is ambiguous; it could be: abcd00000000 \(first\), abcd11111111 \(second\)" "$ERR"
run_cairn show abcd1
expect_eq "longer prefix" 0 "$RC"
run_cairn show abc
expect_eq "too short a prefix" 2 "$RC"
run_cairn show @99
expect_eq "@N past the end" 1 "$RC"
expect_match "@N past the end message" "holds 6 steps" "$ERR"
run_cairn show ffff
expect_eq "unknown step" 1 "$RC"
expect_match "unknown step message" "no step ffff" "$ERR"
run_cairn show
expect_eq "show without a step" 2 "$RC"
run_cairn log -n x
expect_eq "log -n x" 2 "$RC"
run_cairn status --frob
expect_eq "status --frob" 2 "$RC"
cd / && run_cairn --store "$T_DIR/proj" show "$S1" --json
expect_eq "--store DIR" 0 "$RC"
run_cairn --store "$T_DIR/proj/.cairn" log -n 1
expect_eq "--store DIR/.cairn" 0 "$RC"
CAIRN_STORE="$T_DIR/proj" run_cairn log -n 1
expect_eq "CAIRN_STORE" 0 "$RC"
cd "$T_DIR/proj" || exit 1

for sub in init log show status tag find checkout; do
	run_cairn "$sub" --help
	expect_eq "$sub --help status" 0 "$RC"
	expect_match "$sub --help usage" "^usage: cairn $sub" "$OUT"
	run_cairn --help
	expect_match "--help lists $sub" $'\n'"  $sub " "$OUT"
done

done_testing
