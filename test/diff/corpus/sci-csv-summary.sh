#!/bin/bash
# Summarise a CSV of measurements per group with awk; results reused later.
cat > measurements.csv <<'EOF'
sample,group,temp,value
s01,control,20,1.20
s02,control,20,1.35
s03,heat,37,2.10
s04,heat,37,2.45
s05,cold,4,0.80
s06,heat,37,2.05
EOF
nrows=$(( $(wc -l < measurements.csv) - 1 ))
echo "rows: $nrows"
awk -F, 'NR > 1 { s[$2] += $4; n[$2]++ } END { for (g in s) printf "%s %.3f %d\n", g, s[g]/n[g], n[g] }' measurements.csv | sort > means.txt
cat means.txt
best=$(sort -k2,2nr means.txt | head -n 1 | cut -d' ' -f1)
echo "highest mean: $best"
grep -c ",$best," measurements.csv
cut -d, -f3 measurements.csv | tail -n +2 | sort -n | uniq -c | awk '{print $2 "C: " $1}'
[ "$nrows" -eq 6 ] && echo "row count ok"
