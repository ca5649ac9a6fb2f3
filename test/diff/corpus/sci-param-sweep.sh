#!/bin/bash
# A parameter sweep: nested loops write one result file per combination,
# then a summary is assembled from them.
alphas=(0.1 0.5 1.0)
sizes=(10 20)
mkdir -p sweep
run_model() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.3f\n", a * n / (1 + a) }'; }
for a in "${alphas[@]}"; do
  for n in "${sizes[@]}"; do
    run_model "$a" "$n" > "sweep/a${a}_n${n}.out"
  done
done
ls sweep | wc -l
for f in sweep/*.out; do
  tag=${f#sweep/}; tag=${tag%.out}
  printf '%-10s %s\n' "$tag" "$(cat "$f")"
done | sort -k2,2n > summary.txt
cat summary.txt
best=$(tail -n 1 summary.txt)
echo "best: ${best%% *}"
