#!/bin/bash
# Simple statistics over generated data with sort/uniq/awk and checks of
# exit codes between steps.
seq 1 40 | awk '{ printf "%d\t%d\n", $1, ($1 * 37) % 11 }' > data.tsv
min=$(cut -f2 data.tsv | sort -n | head -n 1)
max=$(cut -f2 data.tsv | sort -n | tail -n 1)
echo "min=$min max=$max"
median=$(cut -f2 data.tsv | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2 }')
echo "median=$median"
cut -f2 data.tsv | sort -n | uniq -c | sort -k1,1nr -k2,2n | head -n 3
if awk -F'\t' '$2 > 10 { exit 1 }' data.tsv; then echo "all values <= 10"; else echo "found value > 10"; fi
status=$?
echo "awk check status=$status"
awk -F'\t' '{ s += $2; ss += $2 * $2 } END { m = s / NR; printf "mean=%.4f var=%.4f\n", m, ss / NR - m * m }' data.tsv
