#!/bin/bash
# Here-documents inside loops, one file per iteration.
mkdir -p runs
for i in 1 2 3; do
  cat > runs/run$i.cfg <<EOF
id=$i
seed=$((i * 100))
EOF
done
ls runs
total=0
for f in runs/*.cfg; do
  seed=$(sed -n 's/^seed=//p' "$f")
  total=$((total + seed))
done
echo "total=$total"
n=0
while [ $n -lt 2 ]; do
  cat <<EOF
iteration $n of 2
EOF
  n=$((n + 1))
done
echo "n=$n"
