#!/bin/bash
# ctest-labels: slow
# A real pipeline run through `cairn run`: its records, its lineage back to
# the raw input, the code versions each step ran, and the store staying a
# valid git repository.
. "$TEST_SRC/test/integration/lib.sh"

printf '3,c\n1,a\n2,b\n' > raw.csv
cat > summarize.py <<'P'
import sys
ids = [int(l) for l in open(sys.argv[1])]
print("n=%d max=%d" % (len(ids), max(ids)))
P
cat > p.sh <<'S'
cut -d, -f1 raw.csv > ids.txt
sort -n ids.txt > sorted.txt
python3 summarize.py sorted.txt > summary.txt
S
run_cairn run p.sh
expect_eq "run: status" 0 "$RC"
expect_eq "run: output" "n=3 max=3" "$(cat summary.txt)"
expect_eq "log: three steps, newest first" "python3 summarize.py sorted.txt > summary.txt
sort -n ids.txt > sorted.txt
cut -d, -f1 raw.csv > ids.txt" \
	"$("$CAIRN" log --json | python3 -c 'import json,sys; print("\n".join(s["command"] for s in json.load(sys.stdin)))')"
first=$(rec @1 'r["id"]')
expect_eq "code: the script and summarize.py, not the data it read" "p.sh summarize.py" \
	"$(rec @1 '" ".join(sorted(c["path"] for c in r["code"]))')"
expect_eq "code: a step running only tools has its script as code" "p.sh" \
	"$(rec @3 '" ".join(c["path"] for c in r["code"])')"
expect_eq "lineage: data files are not code" "data data" \
	"$("$CAIRN" lineage summary.txt --format json | python3 -c 'import json,sys; g=json.load(sys.stdin); print(" ".join(f.get("role", "data") for f in g["files"] if f["path"] in ("sorted.txt", "raw.csv")))')"

# Lineage as JSON: three steps back to the raw input.
"$CAIRN" lineage summary.txt --format json > lin.json
expect_eq "lineage: steps" "python3 summarize.py sorted.txt > summary.txt|sort -n ids.txt > sorted.txt|cut -d, -f1 raw.csv > ids.txt" \
	"$(python3 -c 'import json; g=json.load(open("lin.json")); print("|".join(s["command"] for s in g["steps"]))')"
expect_eq "lineage: raw input has no producer" "None" \
	"$(python3 -c 'import json; g=json.load(open("lin.json")); print([f for f in g["files"] if f["path"] == "raw.csv"][0]["producer"])')"
expect_eq "lineage: sorted.txt made by the sort step" "$(rec @2 'r["id"]')" \
	"$(python3 -c 'import json; g=json.load(open("lin.json")); print([f for f in g["files"] if f["path"] == "sorted.txt"][0]["producer"])')"
"$CAIRN" lineage summary.txt > lin.txt
expect_match "lineage tree: the raw input" "raw.csv" "$(cat lin.txt)"
expect_match "lineage tree: the code" "summarize.py" "$(cat lin.txt)"

# Code versions: edit the script and run again; the old version stays.
old_sum=$(sha256sum < summarize.py)
sed -i 's/max=/maximum=/' summarize.py
run_cairn run p.sh
expect_eq "rerun: new output" "n=3 maximum=3" "$(cat summary.txt)"
expect_eq "show --code: the version the first run used" "$old_sum" \
	"$("$CAIRN" show "$first" --code summarize.py | sha256sum)"
expect_eq "show --code: the new version" "$(sha256sum < summarize.py)" \
	"$("$CAIRN" show @1 --code summarize.py | sha256sum)"
expect_eq "show --code: the script itself" "$(sha256sum < p.sh)" \
	"$("$CAIRN" show @1 --code p.sh | sha256sum)"
expect_eq "checkout: the first run's summary" "n=3 max=3" \
	"$("$CAIRN" checkout summary.txt --at "$first" >/dev/null 2>&1; cat summary.txt)"

# Status: modify an input; its descendants are stale.
run_cairn run p.sh
echo "9,z" >> raw.csv
"$CAIRN" status --json > st.json
expect_eq "status: derived outputs stale" "stale stale stale" \
	"$(python3 -c 'import json; s={e["path"]: e["state"] for e in json.load(open("st.json"))}; print(s["ids.txt"], s["sorted.txt"], s["summary.txt"])')"

# PROV-JSON through python3-prov (Debian's, for the system python; a
# python3 earlier in PATH, such as pyenv's, may lack it).
provpy=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import prov' 2>/dev/null; then
		provpy=$py
		break
	fi
done
if [ -n "$provpy" ]; then
	"$CAIRN" lineage summary.txt --format prov-json > prov.json
	expect_eq "prov: loads, three activities" 3 "$("$provpy" -c '
import prov.model as m
d = m.ProvDocument.deserialize(content=open("prov.json").read(), format="json")
print(len(list(d.get_records(m.ProvActivity))))')"
else
	echo "$T_NAME: skipping the PROV-JSON check: neither python3 ($(command -v python3)) nor /usr/bin/python3 has the prov module (python3-prov)" >&2
fi

# A data file under /usr that the command names is an input; the
# libraries the program loaded are not.
data=/usr/share/common-licenses/GPL-3
if [ -f "$data" ]; then
	run_cairn -c "wc -l $data > n.txt"
	"$CAIRN" lineage n.txt --format json > lin2.json
	expect_eq "lineage: a named system file is an input" "True False" \
		"$(python3 -c 'import json,sys; g=json.load(open("lin2.json")); p=[f["path"] for f in g["files"]]; print(sys.argv[1] in p, any(x.startswith("/usr/lib") for x in p))' "$data")"
fi

# Status of a step that opens its old output before replacing it (as
# GDAL's drivers do): the version an earlier run of the same command left
# is not an input of the new one, so a rebuilt output is fresh...
mkdir st2 && cd st2
printf 'a\n' > in.txt
cat > q.sh <<'S'
{ cat out.txt 2>/dev/null >/dev/null; tr a-z A-Z < in.txt > out.txt; }
sed 's/^/> /' out.txt > quoted.txt
S
run_cairn run q.sh
printf 'b\n' > in.txt
run_cairn run q.sh
expect_eq "status: rebuilt output over its own old version is fresh" "fresh fresh" \
	"$("$CAIRN" status --json | python3 -c 'import json,sys; s={e["path"]: e["state"] for e in json.load(sys.stdin)}; print(s["st2/out.txt"], s["st2/quoted.txt"])')"
expect_eq "lineage: not through the earlier run of the same step" "2 st2/in.txt:1" \
	"$("$CAIRN" lineage quoted.txt --format json | python3 -c 'import json,sys; g=json.load(sys.stdin); print(len(g["steps"]), " ".join("%s:%d" % (f["path"], len([x for x in g["files"] if x["path"] == f["path"]])) for f in g["files"] if f["path"].endswith("in.txt")))')"
# find: what the second run made from b.txt is not derived from a.txt.
printf 'a\n' > a.txt
printf 'b\n' > b.txt
printf '{ cat made.txt 2>/dev/null >/dev/null; tr a-z A-Z < "$1" > made.txt; }\n' > q2.sh
run_cairn run q2.sh a.txt
first_q2=$(rec @1 'r["id"]')
run_cairn run q2.sh b.txt
expect_eq "find --derived-from: not through the earlier run of the same step" "$first_q2" \
	"$("$CAIRN" find --derived-from a.txt --json | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')"
# ...while an in-place edit by another step still follows the version it read.
cat > r.sh <<'S'
tr a-z A-Z < in.txt > out.txt
sed -i 's/^/> /' out.txt
S
run_cairn run r.sh
printf 'c\n' > in.txt
expect_eq "status: in-place edit of a stale version is stale" "stale" \
	"$("$CAIRN" status --json | python3 -c 'import json,sys; s={e["path"]: e["state"] for e in json.load(sys.stdin)}; print(s["st2/out.txt"])')"
cd ..

# The store is a valid git repository.
git --git-dir .cairn/lineage.git fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck"
expect_match "git log --all" "summarize.py" "$(git --git-dir .cairn/lineage.git log --all --format=%s 2>&1)"

done_testing
