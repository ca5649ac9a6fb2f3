#!/bin/bash
# cairn lineage on a real store: a three-step pipeline recorded through
# provenance_record_step() (prov-fixture record), then every format checked --
# the tree's shape, Graphviz accepting the DOT, python3-prov loading the
# PROV-JSON, the RO-Crate's profile entities -- and the exit statuses.
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"
checks=$TEST_SRC/test/unit/provenance

py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import prov.model' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { fail "no python3 with the prov module (apt-get install python3-prov)"; done_testing; }

mkdir -p proj/sub && cd proj || exit 1
# Rasters are binary (a NUL byte), so that the store keeps only slope.py as code.
printf 'II*\0raw elevation' >raw.tif
printf 'II*\0dem' >dem.tif
printf 'import sys\nprint("slope")\n' >slope.py
printf 'II*\0slope' >slope.tif
printf 'II*\0habitat' >habitat.tif

# Records as the tracer would write them; no `producer`: the store infers it.
"$py" - "$PWD" <<'PY' || fail "cannot write the records"
import hashlib, json, os, sys
root = sys.argv[1]
def sha(p): return hashlib.sha256(open(os.path.join(root, p), "rb").read()).hexdigest()
def size(p): return os.path.getsize(os.path.join(root, p))
def f(p, kind="file"): return {"path": p, "sha256": sha(p), "size": size(p), "kind": kind}
def step(n, cmd, reads, writes, argv, t0, t1):
    return {"record_version": 1, "id": ("%x" % n) * 32, "session": "20261202T133000Z-9a8b7c6d",
            "seq": n, "command": cmd, "line": n, "script": "pipeline.sh", "shell": "bash",
            "shell_path": "/usr/bin/bash",
            "start_state": {"cwd": ".", "env": {"USER": "ana", "PATH": "/usr/bin:/bin"},
                            "vars": [], "functions": {}, "options": "", "state_sha256": "0" * 64},
            "state_change": {"cwd": None, "env": None, "vars": None, "functions": None, "exit_status": 0},
            "started": t0, "finished": t1, "exit_status": 0, "signal": None, "interrupted": False,
            "cached": False,
            "sandbox": {"sandboxed": True, "network": False, "limits": None, "image": "test", "refused": []},
            "reads": sorted(reads + [{"path": "/usr/lib/x86_64-linux-gnu/libc.so.6", "sha256": "1" * 64,
                                      "size": 1000, "kind": "file"},
                                     {"path": "/usr/bin/" + argv[0], "sha256": "2" * 64, "size": 100,
                                      "kind": "exec"}], key=lambda r: r["path"]),
            "writes": [dict(f(w), mode="0644") for w in writes],
            "exec_tree": [{"pid": 2, "ppid": 1, "argv": ["bash", "-c", cmd], "exe": "/usr/bin/bash",
                           "exe_sha256": "3" * 64},
                          {"pid": 3, "ppid": 2, "argv": argv, "exe": "/usr/bin/" + argv[0],
                           "exe_sha256": "2" * 64}],
            "stdout_sha256": None, "stderr_sha256": None,
            "resources": {"cpu_user_s": 0.1, "cpu_sys_s": 0.0, "wall_s": 0.2, "max_rss_kb": 1000,
                          "read_bytes": 0, "write_bytes": 0},
            "formats": {"dem.tif": {"summary": "GTiff 111x111 Float32 EPSG:32725"}},
            "tags": {}}
a = step(1, "gdal_translate raw.tif dem.tif", [f("raw.tif")], ["dem.tif"],
         ["gdal_translate", "raw.tif", "dem.tif"], "2026-12-02T13:30:00.100Z", "2026-12-02T13:30:00.300Z")
b = step(2, "python3 slope.py dem.tif slope.tif", [f("dem.tif"), f("slope.py")], ["slope.tif"],
         ["python3", "slope.py", "dem.tif", "slope.tif"], "2026-12-02T13:30:01.100Z", "2026-12-02T13:30:01.300Z")
c = step(3, "gdal_calc.py -A slope.tif -B dem.tif --outfile=habitat.tif --calc=A*B",
         [f("slope.tif"), f("dem.tif")], ["habitat.tif"],
         ["gdal_calc.py", "-A", "slope.tif", "-B", "dem.tif", "--outfile=habitat.tif", "--calc=A*B"],
         "2026-12-02T13:30:02.100Z", "2026-12-02T13:30:02.300Z")
for r in (a, b, c):
    json.dump(r, open(os.path.join(root, "..", "step%d.json" % r["seq"]), "w"))
PY
"$PROV_FIXTURE" -C "$PWD" init >/dev/null || fail "prov-fixture init"
for n in 1 2 3; do
	"$PROV_FIXTURE" -C "$PWD" record ../step$n.json || fail "prov-fixture record step $n"
done
A=11111111 B=22222222 C=33333333

# --- tree -------------------------------------------------------------------
run_cairn lineage habitat.tif
expect_eq "tree status" 0 "$RC"
expect_match "tree: first line is the target" "^habitat\.tif  [0-9a-f]{8}  11 B" "$(head -1 <<<"$OUT")"
expect_match "tree: the writer" $'\n''`-- step '$C'  gdal_calc\.py -A slope\.tif' "$OUT"
expect_match "tree: raw input" "raw\.tif  [0-9a-f]{8}  17 B  \(raw input\)" "$OUT"
expect_match "tree: code version, named by its sha256 as files are" "code: slope\.py @ $(sha256sum slope.py | cut -c1-8)" "$OUT"
expect_eq "tree: the code file is not listed again as an input" "" "$(grep -E 'slope\.py  [0-9a-f]{8}  26 B  \(code\)' <<<"$OUT")"
expect_match "tree: format summary" "dem\.tif  [0-9a-f]{8}  7 B  GTiff 111x111 Float32 EPSG:32725" "$OUT"
expect_match "tree: programs" "programs: gdal_calc\.py; 1 system file read" "$OUT"
expect_eq "tree: step A printed once" 1 "$(grep -c "step $A  gdal_translate raw.tif dem.tif\$" <<<"$OUT")"
expect_eq "tree: then referred to" 1 "$(grep -c "step $A  .*(shown above)" <<<"$OUT")"
expect_eq "tree: no colour when not a terminal" 0 "$(grep -c $'\033' <<<"$OUT")"
expect_eq "tree: ASCII when not a terminal" 0 "$(LC_ALL=C grep -c '[^ -~]' <<<"$OUT")"

run_cairn lineage habitat.tif --depth 1
expect_eq "depth 1 status" 0 "$RC"
expect_eq "depth 1: both producers cut" 2 "$(grep -c '(beyond --depth)' <<<"$OUT")"

# On a terminal: box drawing with a UTF-8 locale, colours unless NO_COLOR.
if command -v script >/dev/null; then
	tty_out=$(LC_ALL=C.UTF-8 script -qec "$CAIRN lineage habitat.tif" /dev/null </dev/null)
	expect_match "tty: box drawing" "└── step" "$tty_out"
	expect_match "tty: colour" $'\033\\[33m'"$C" "$tty_out"
	tty_out=$(NO_COLOR=1 LC_ALL=C.UTF-8 script -qec "$CAIRN lineage habitat.tif" /dev/null </dev/null)
	expect_match "tty NO_COLOR: box drawing" "└── step" "$tty_out"
	expect_eq "tty NO_COLOR: no colour" 0 "$(grep -c $'\033\\[' <<<"$tty_out")"
fi

# --- the same file named from elsewhere --------------------------------------
cd sub || exit 1
run_cairn lineage ../habitat.tif --format json
expect_eq "from a subdirectory" 0 "$RC"
expect_match "subdirectory: target" '"target": "habitat.tif"' "$OUT"
cd .. || exit 1
run_cairn lineage "$PWD/habitat.tif" --format=json
expect_match "absolute path: target" '"target": "habitat.tif"' "$OUT"
proj=$PWD
cd / || exit 1
run_cairn --store "$proj" lineage "$proj/slope.tif" --format json
expect_eq "--store" 0 "$RC"
expect_match "--store: target" '"target": "slope.tif"' "$OUT"
cd "$proj" || exit 1

# --- exports, judged by outside tools ----------------------------------------
"$CAIRN" lineage habitat.tif --format json >../graph.json || fail "json"
"$py" -c '
import json, sys
g = json.load(open(sys.argv[1]))
assert [s["id"][:8] for s in g["steps"]] == ["33333333", "11111111", "22222222"], g["steps"]
f = {x["path"]: x for x in g["files"]}
assert f["dem.tif"]["producer"] == "1" * 32, f["dem.tif"]
assert f["raw.tif"]["producer"] is None
assert f["slope.py"]["role"] == "code", f["slope.py"]
assert "/usr/lib/x86_64-linux-gnu/libc.so.6" not in f
' ../graph.json || fail "json graph"
"$CAIRN" lineage habitat.tif --format prov-json >../prov.json || fail "prov-json"
"$py" "$checks/check_prov.py" ../graph.json ../prov.json \
	"used=5,wasGeneratedBy=3,wasDerivedFrom=5,wasInformedBy=3,wasAssociatedWith=6,entity=5,activity=3,agent=2" ||
	fail "prov-json does not check"
"$CAIRN" lineage habitat.tif --format ro-crate >../crate.json || fail "ro-crate"
"$py" "$checks/check_rocrate.py" ../graph.json ../crate.json || fail "ro-crate does not check"
if command -v dot >/dev/null; then
	"$CAIRN" lineage habitat.tif --format dot >../lineage.dot || fail "dot"
	dot -Tsvg ../lineage.dot >/dev/null || fail "dot -Tsvg rejects the DOT"
	run_cairn lineage habitat.tif --format svg
	expect_eq "svg status" 0 "$RC"
	expect_match "svg" "<svg" "$OUT"
fi
PATH=/nonexistent "$CAIRN" lineage habitat.tif --format svg >../svg.out 2>../svg.err
expect_eq "svg without Graphviz" 125 "$?"
expect_match "svg without Graphviz: says so" "Graphviz" "$(<../svg.err)"

# --- errors -------------------------------------------------------------------
run_cairn lineage raw.tif
expect_eq "never written: status" 1 "$RC"
expect_match "never written: message" "raw\.tif was not written by any recorded step" "$ERR"
expect_eq "never written: no output" "" "$OUT"
run_cairn lineage
expect_eq "no path" 2 "$RC"
run_cairn lineage habitat.tif --format png
expect_eq "bad format" 2 "$RC"
expect_match "bad format: message" "unknown format 'png'" "$ERR"
run_cairn lineage habitat.tif --depth 0
expect_eq "depth 0" 2 "$RC"
run_cairn lineage habitat.tif --depth x
expect_eq "depth x" 2 "$RC"
run_cairn lineage habitat.tif slope.tif
expect_eq "two paths" 2 "$RC"
run_cairn lineage --bogus habitat.tif
expect_eq "unknown option" 2 "$RC"
run_cairn lineage --help
expect_eq "help" 0 "$RC"
expect_match "help: usage" "usage: cairn lineage PATH" "$OUT"
mkdir -p "$T_DIR/empty" && cd "$T_DIR/empty" || exit 1
run_cairn lineage habitat.tif
expect_eq "no store: status" 1 "$RC"

done_testing
