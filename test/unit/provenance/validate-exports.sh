#!/bin/bash
# validate-exports.sh RENDER DATA: render the fixture pipeline's lineage
# in every format and have outside tools judge it: Graphviz must accept
# the DOT, python3-prov must load the PROV-JSON with the expected
# records, and the RO-Crate must carry the Provenance Run Crate entities.
set -u
render=$1 data=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# The python that has python3-prov (Debian's, when another python3 is first
# on PATH); scripts/install-deps installs it.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import prov.model' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "FAIL: no python3 with the prov module (apt-get install python3-prov)" >&2; exit 1; }
command -v dot >/dev/null || { echo "FAIL: Graphviz dot is not installed (apt-get install graphviz)" >&2; exit 1; }

for depth in 0 1 2; do
	for f in json dot prov-json ro-crate; do
		"$render" "$data" habitat.tif $f $depth >"$tmp/$f.$depth" || fail "render $f depth $depth"
	done
	dot -Tsvg "$tmp/dot.$depth" >"$tmp/svg.$depth" 2>"$tmp/dot.err" || fail "dot -Tsvg rejects depth $depth: $(cat "$tmp/dot.err")"
	[ -s "$tmp/dot.err" ] && fail "dot warns at depth $depth: $(cat "$tmp/dot.err")"
	grep -q '<svg' "$tmp/svg.$depth" || fail "no svg at depth $depth"
	"$py" "$here/check_rocrate.py" "$tmp/json.$depth" "$tmp/ro-crate.$depth" || fail "ro-crate depth $depth"
done
# Full depth: the exact numbers of the fixture pipeline (3 steps, 7 file
# versions; see test/data/lineage).
"$py" "$here/check_prov.py" "$tmp/json.0" "$tmp/prov-json.0" \
	"used=6,wasGeneratedBy=4,wasDerivedFrom=9,wasInformedBy=3,wasAssociatedWith=6,entity=7,activity=3,agent=2" ||
	fail "prov-json depth 0"
# Depth 1: only the step that wrote habitat.tif; its inputs' producers are
# named, not declared.
"$py" "$here/check_prov.py" "$tmp/json.1" "$tmp/prov-json.1" \
	"used=2,wasGeneratedBy=1,wasDerivedFrom=2,wasInformedBy=0,wasAssociatedWith=2,entity=3,activity=1,agent=2" ||
	fail "prov-json depth 1"
"$py" "$here/check_prov.py" "$tmp/json.2" "$tmp/prov-json.2" || fail "prov-json depth 2"

[ "$fails" -eq 0 ] || exit 1
echo "validate-exports: ok"
