#!/bin/bash
# Read a matrix into arrays, transpose it, write and verify.
cat > m.txt <<'EOF'
1 2 3
4 5 6
EOF
rows=0
while read -r -a r; do
  cols=${#r[@]}
  for ((c = 0; c < cols; c++)); do cell[$((rows * cols + c))]=${r[c]}; done
  rows=$((rows + 1))
done < m.txt
echo "rows=$rows cols=$cols cells=${#cell[@]}"
: > t.txt
for ((c = 0; c < cols; c++)); do
  line=()
  for ((r = 0; r < rows; r++)); do line+=("${cell[$((r * cols + c))]}"); done
  echo "${line[*]}" >> t.txt
done
cat t.txt
awk '{ for (i = 1; i <= NF; i++) a[i] = a[i] (NR > 1 ? " " : "") $i } END { for (i = 1; i <= NF; i++) print a[i] }' t.txt > back.txt
cmp -s back.txt m.txt && echo "round trip ok"
