#!/bin/sh
# POSIX sh: an EXIT trap set first fires at the end and sees later state.
trap 'echo "EXIT trap: n=$n"; ls' EXIT
n=0
for f in x y; do
  touch "$f.out"
  n=$((n + 1))
done
echo "loop done"
