#!/bin/bash
# Arrays built from command output (word splitting and mapfile).
printf '%s\n' "r1 10" "r2 20" "r3 30" > table.txt
rows=($(cut -d' ' -f1 table.txt))
echo "rows: ${#rows[@]} ${rows[*]}"
mapfile -t lines < table.txt
echo "lines: ${#lines[@]} second='${lines[1]}'"
vals=()
while read -r _ v; do vals+=("$v"); done < table.txt
echo "vals: ${vals[*]}"
sum=0
for v in "${vals[@]}"; do sum=$((sum + v)); done
echo "sum=$sum mean=$((sum / ${#vals[@]}))"
readarray -t -s 1 -n 1 mid < table.txt
echo "mid=${mid[0]}"
