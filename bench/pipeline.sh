#!/bin/bash
# bench/pipeline.sh - a real pipeline under bash and under cairn: a first
# run (fresh project, nothing cached) and an all-cached run (the same
# script again in the same project), interleaved, medians of RUNS runs;
# prints the times and the ratios to bash.
#
#   bench/pipeline.sh [CAIRN]        (default: build/cairn)
#   RUNS=5 bench/pipeline.sh ...     (default 3)
#   PIPELINE=demo bench/pipeline.sh  (examples/demo.sh instead of the
#                                      9-step GDAL pipeline below)
#
# The 9-step pipeline works on the EGM96 geoid that Debian's proj-data
# ships (../shared/DATA.md): gdal_translate, gdalwarp, gdaldem x3,
# gdal_translate, gdal_calc.py, a Python summary, gdalinfo.  Goals
# (issue 19): first run <= 1.05x bash, all-cached run <= 0.05x bash.
# CAIRN_DEBUG_TIMING=1 in the environment prints cairn's phases (to
# pipeline-timing.log in the work directory, kept with KEEP=1).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
runs=${RUNS:-3}
work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
cd "$work"

if [ "${PIPELINE:-}" = demo ]; then
	cp "$top/examples/demo.sh" pipeline.sh
else
	cat > pipeline.sh <<'SCRIPT'
#!/bin/bash
set -euo pipefail
geoid=/usr/share/proj/egm96_15.gtx
mkdir -p out
gdal_translate -q -projwin -30 20 10 -20 -of GTiff "$geoid" out/atlantic.tif
gdalwarp -q -overwrite -t_srs EPSG:3857 -r bilinear out/atlantic.tif out/atlantic_3857.tif
gdaldem slope -q -s 111120 out/atlantic.tif out/slope.tif
gdaldem hillshade -q -s 111120 out/atlantic.tif out/hillshade.tif
gdaldem aspect -q out/atlantic.tif out/aspect.tif
gdal_translate -q -ot Int16 -scale -40 80 0 12000 out/atlantic.tif out/atlantic_i16.tif
gdal_calc.py --quiet --overwrite -A out/slope.tif -B out/aspect.tif --outfile=out/steep_south.tif --calc="(A>0.5)*(B>90)*(B<270)"
/usr/bin/python3 -c 'from osgeo import gdal; import sys
a = gdal.Open("out/steep_south.tif").ReadAsArray()
open("out/summary.txt", "w").write("steep south-facing cells: %d of %d\n" % ((a == 1).sum(), a.size))'
gdalinfo -stats out/slope.tif > out/slope_info.txt
SCRIPT
fi

now() { date +%s.%N; }
declare -a b1 c1 b2 c2
for i in $(seq "$runs"); do
	# bash, first run and again (bash has no cache: the same work)
	rm -rf b && mkdir b && cp pipeline.sh b/
	t0=$(now); (cd b && bash pipeline.sh >/dev/null 2>&1); t1=$(now)
	b1+=("$(echo "$t1 - $t0" | bc)")
	# cairn, first run in a fresh project
	rm -rf c && mkdir -p c/.cairn && cp pipeline.sh c/
	t0=$(now); (cd c && "$cairn" run pipeline.sh >/dev/null 2>>"$work/pipeline-timing.log"); t1=$(now)
	c1+=("$(echo "$t1 - $t0" | bc)")
	t0=$(now); (cd b && bash pipeline.sh >/dev/null 2>&1); t1=$(now)
	b2+=("$(echo "$t1 - $t0" | bc)")
	# cairn, the same script again: every step a cache hit
	t0=$(now); (cd c && "$cairn" run pipeline.sh >/dev/null 2>>"$work/pipeline-timing.log"); t1=$(now)
	c2+=("$(echo "$t1 - $t0" | bc)")
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb1=$(median "${b1[@]}"); mc1=$(median "${c1[@]}")
mb2=$(median "${b2[@]}"); mc2=$(median "${c2[@]}")
printf 'pipeline: %s, %d runs each, medians (s)\n' "${PIPELINE:-gdal9}" "$runs"
printf '%-26s %8.3f\n' "bash, first run" "$mb1" "cairn, first run" "$mc1" \
	"bash, again" "$mb2" "cairn, all cached" "$mc2"
printf '%-26s %8.3f  (goal <= 1.05)\n' "ratio first run" "$(echo "$mc1 / $mb1" | bc -l)"
printf '%-26s %8.3f  (goal <= 0.05)\n' "ratio all cached" "$(echo "$mc2 / $mb2" | bc -l)"
printf 'all runs: bash %s | cairn %s | bash %s | cairn cached %s\n' "${b1[*]}" "${c1[*]}" \
	"${b2[*]}" "${c2[*]}"
[ -z "${KEEP:-}" ] || echo "kept: $work"
