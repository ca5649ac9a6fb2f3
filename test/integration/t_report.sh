#!/bin/bash
# ctest-labels: slow
# cairn report: a real GDAL pipeline run twice (the second time one script
# changed), then the page of the session and of a file: parsed with
# python3's html.parser (steps, SVG, links that resolve, nothing fetched
# from the network, a file named <script> only as text), then loaded in
# headless Chromium when it is installed (DOM dumped, a screenshot kept
# as $REPORT_SHOT, default $TMPDIR/cairn-report.png).  Then the size of
# the page of a 1,000-step session made by prov-fixture synth.
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"

for p in gdal_translate gdaldem gdalinfo dot python3; do
	command -v "$p" >/dev/null || { echo "$T_NAME: skipped: no $p"; exit 0; }
done
[ -r /usr/share/proj/egm96_15.gtx ] || { echo "$T_NAME: skipped: no proj-data"; exit 0; }

# check.py HTML [--steps ID...] [--text S...]: the page's structure.
cat >"$T_DIR/check.py" <<'PY'
import sys, re
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.hrefs, self.srcs, self.tags = set(), [], [], []
        self.svg = 0; self.svg_links = []; self.text = []; self.script = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "script": self.script += 1
        if tag == "svg": self.svg += 1
        if "id" in a: self.ids.add(a["id"])
        for k in ("href", "xlink:href"):
            if k in a:
                self.hrefs.append(a[k])
                if tag == "a" and self.svg: self.svg_links.append(a[k])
        for k in ("src", "srcset", "data", "poster", "action"):
            if k in a: self.srcs.append(a[k])
    handle_startendtag = handle_starttag
    def handle_data(self, d): self.text.append(d)

html = open(sys.argv[1], encoding="utf-8", errors="replace").read()
p = P(); p.feed(html)
args = sys.argv[2:]
bad = []
def values(opt):
    out, i = [], args.index(opt) + 1 if opt in args else len(args)
    while i < len(args) and not args[i].startswith("--"):
        out.append(args[i]); i += 1
    return out
want_steps = values("--steps")
text = "".join(p.text)
for t in values("--text"):
    if t not in text: bad.append("text %r not on the page" % t)
for s in want_steps:
    if "step-" + s not in p.ids: bad.append("no section for step " + s)
if "--graph" in args:
    if not p.svg: bad.append("no inline <svg>")
    if not any(h.startswith("#step-") for h in p.svg_links): bad.append("no step link in the SVG")
for h in p.hrefs:
    if h.startswith("#"):
        if h[1:] not in p.ids: bad.append("link %s goes nowhere" % h)
    else:
        bad.append("link out of the page: %s" % h)
for s in p.srcs:
    if not s.startswith("data:"): bad.append("fetches %s" % s)
if re.search(r'(src|href)\s*=\s*["\']?\s*https?:', html, re.I): bad.append("an http(s) src/href")
if "@import" in html or "url(" in html: bad.append("CSS that may fetch")
if p.script: bad.append("%d <script> elements" % p.script)
print("\n".join(bad) if bad else "ok")
PY

# --- a real pipeline -------------------------------------------------------
phase "pipeline"
mkdir proj && cd proj || exit 1
mkdir .cairn
cat >pipe.sh <<'EOF'
gdal_translate -q -of GTiff -srcwin 600 200 120 90 /usr/share/proj/egm96_15.gtx dem.tif
gdaldem slope -q dem.tif slope.tif
gdal_translate -q -of VRT dem.tif dem.vrt
gdalinfo -stats -json slope.tif > info.json
python3 summary.py info.json > summary.txt
cp summary.txt '<script>alert("x")&.txt'
EOF
cat >summary.py <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))["bands"][0]
print("slope min", b["minimum"], "max", b["maximum"])
EOF
run_cairn run pipe.sh
expect_eq "first run" 0 "$RC"
sed -i 's/slope min/slope: min/' summary.py
run_cairn run pipe.sh
expect_eq "second run" 0 "$RC"
session=$(last_session)
ids=$("$CAIRN" log --json -n 5 | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')

# --- the session view ------------------------------------------------------
phase "session report"
before=$(ls -A | sort)
run_cairn report -o "$T_DIR/session.html"
expect_eq "report of the newest session" 0 "$RC"
expect_match "says where it wrote" "wrote .*session.html" "$ERR"
# shellcheck disable=SC2086
expect_eq "session page" ok "$(python3 "$T_DIR/check.py" "$T_DIR/session.html" --graph --steps $ids \
	--text "gdaldem slope -q dem.tif slope.tif" "GTiff 120x90 Float32 EPSG:4326" "cache hit" \
	"time saved by the cache" "<script>alert(\"x\")&.txt")"
grep -q '<script>alert' "$T_DIR/session.html" && fail "a file name reached the page unescaped"
grep -q '&lt;script&gt;alert(&quot;x&quot;)&amp;.txt' "$T_DIR/session.html" ||
	fail "the escaped file name is not on the page"
# dem.tif and slope.tif; not dem.vrt (a VRT may name any file or URL).
expect_eq "raster thumbnails" 2 "$(grep -c '<img class="thumb" alt="thumbnail of [a-z]*\.tif" src="data:image/png;base64,' "$T_DIR/session.html")"
grep -q 'VRT 120x90 Float32' "$T_DIR/session.html" || fail "the VRT is not on the page"
grep -q '^<span class="add">+print(&quot;slope: min&quot;' "$T_DIR/session.html" ||
	fail "no diff of summary.py against the version the first run ran"
expect_eq "the report left the project as it was" "$before" "$(ls -A | sort)"
# The same page by session id, and to standard output.
run_cairn report "$session"
expect_eq "report SESSION" 0 "$RC"
expect_match "to standard output" "^<!DOCTYPE html>" "$OUT"
run_cairn report --session "${session%??}" -o "$T_DIR/s2.html"
expect_eq "report --session PREFIX" 0 "$RC"

# --- the file view ---------------------------------------------------------
phase "file report"
run_cairn report summary.txt -o "$T_DIR/file.html"
expect_eq "report of a file" 0 "$RC"
expect_eq "file page" ok "$(python3 "$T_DIR/check.py" "$T_DIR/file.html" --graph \
	--text "Lineage of" "summary.txt" "gdalinfo -stats -json slope.tif > info.json" \
	"/usr/share/proj/egm96_15.gtx")"
run_cairn report no-such-file.txt
expect_eq "neither a file nor a session" 1 "$RC"
expect_match "says so" "neither a file a recorded step wrote nor a session" "$ERR"
run_cairn report --file summary.txt --session
expect_eq "--file and --session" 2 "$RC"
run_cairn report -o
expect_eq "-o without a file" 2 "$RC"

# --- in a browser ----------------------------------------------------------
phase "chromium"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "$T_NAME: note: Chromium is not installed (apt-get install chromium): the browser checks are skipped"
else
	flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
		--user-data-dir="$T_DIR/chrome")
	shot=${REPORT_SHOT:-${TMPDIR:-/tmp}/cairn-report.png}
	timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$T_DIR/session.html" \
		>"$T_DIR/dom.html" 2>"$T_DIR/chrome.err"
	expect_eq "Chromium dumps the DOM" 0 "$?"
	# shellcheck disable=SC2086
	expect_eq "the DOM" ok "$(python3 "$T_DIR/check.py" "$T_DIR/dom.html" --graph --steps $ids \
		--text "<script>alert(\"x\")&.txt" "Steps" "Files")"
	grep -q '<script>alert' "$T_DIR/dom.html" && fail "a <script> element in the DOM"
	grep -c '<g id="node' "$T_DIR/dom.html" | grep -qv '^0$' || fail "no graph nodes in the DOM"
	timeout 120 "$chrome" "${flags[@]}" --screenshot="$shot" --window-size=1280,1600 \
		"file://$T_DIR/session.html" >/dev/null 2>>"$T_DIR/chrome.err"
	[ -s "$shot" ] && [ "$(head -c 4 "$shot" | od -An -c | tr -d ' ')" = "211PNG" ] ||
		fail "no screenshot at $shot"
	echo "$T_NAME: screenshot: $shot"
fi

# --- a 1,000-step session --------------------------------------------------
phase "1000 steps"
cd "$T_DIR" && mkdir big && cd big && mkdir .cairn || exit 1
"$PROV_FIXTURE" synth 1000 1000 >/dev/null || fail "prov-fixture synth"
start=$(date +%s%N)
run_cairn report -o "$T_DIR/big.html"
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "report of 1000 steps" 0 "$RC"
size=$(stat -c %s "$T_DIR/big.html")
echo "$T_NAME: a 1000-step session: $size bytes, written in $ms ms"
[ "$size" -lt 5000000 ] || fail "the 1000-step page is $size bytes (limit 5 MB)"
expect_eq "1000-step page" ok "$(python3 "$T_DIR/check.py" "$T_DIR/big.html" --text "1000")"
run_cairn report data/f1000 -o "$T_DIR/big-file.html"
expect_eq "report of a file 1000 steps deep" 0 "$RC"
size=$(stat -c %s "$T_DIR/big-file.html")
echo "$T_NAME: a file 1000 steps deep: $size bytes"
[ "$size" -lt 5000000 ] || fail "the 1000-step lineage page is $size bytes (limit 5 MB)"
if [ -n "${chrome:-}" ]; then
	start=$(date +%s%N)
	timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$T_DIR/big.html" >"$T_DIR/big-dom.html" \
		2>>"$T_DIR/chrome.err"
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "$T_NAME: Chromium loaded the 1000-step page in $ms ms (start-up included)"
	grep -c 'class="step' "$T_DIR/big-dom.html" | grep -q '^1000$' || fail "not 1000 steps in the DOM"
fi

# A thumbnail never reads what a planted sidecar names (REVIEW17 H15): a
# GTiff's x.tif.ovr that is a VRT of a canary file of the test's own.
mkdir -p thumbs && cd thumbs || exit 1
mkdir .cairn
canary="$T_DIR/canary.bin"
python3 -c "open('$canary','wb').write(bytes((i*7+3)%251 for i in range(160)))"
"$CAIRN" -c 'gdal_translate -q -of GTiff -outsize 320 2 -ot Byte -scale /usr/share/proj/egm96_15.gtx x.tif' </dev/null
"$CAIRN" report -o clean.html
cat >x.tif.ovr <<EOV
<VRTDataset rasterXSize="160" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand"><SourceFilename relativetoVRT="0">$canary</SourceFilename><ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>160</LineOffset></VRTRasterBand></VRTDataset>
EOV
"$CAIRN" report -o planted.html
thumb() { grep -o 'src="data:image/png;base64,[^"]*"' "$1" | head -1; }
expect_eq "a planted .ovr changes no thumbnail" "$(thumb clean.html)" "$(thumb planted.html)"
expect_match "there is one" "base64" "$(thumb clean.html)"
cd .. || exit 1

done_testing
