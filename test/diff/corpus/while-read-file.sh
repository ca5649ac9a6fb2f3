#!/bin/bash
# while read over a file; variables set in the loop (no pipeline) persist.
cat > samples.tsv <<'EOF'
id	group	value
s1	ctrl	4.5
s2	treat	6.1
s3	ctrl	3.9
s4	treat	7.2
EOF
n=0 ctrl=0
while IFS=$'\t' read -r id group value; do
  [ "$id" = id ] && continue
  n=$((n+1))
  [ "$group" = ctrl ] && ctrl=$((ctrl+1))
done < samples.tsv
echo "n=$n ctrl=$ctrl"
m=0
tail -n +2 samples.tsv | while read -r line; do m=$((m+1)); done
echo "m after piped loop: $m"
while read -r id _ v; do echo "$id=$v"; done < <(tail -n +2 samples.tsv | sort -k3,3nr)
