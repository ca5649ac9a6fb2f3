#!/bin/sh
# POSIX sh: while read over files; counts persist after the loop.
printf '%s\n' "x 1" "y 2" "x 3" "z 4" > pairs.txt
n=0 xs=0
while read -r key val; do
  n=$((n + 1))
  [ "$key" = x ] && xs=$((xs + val))
done < pairs.txt
echo "n=$n xs=$xs"
m=0
cat pairs.txt | while read -r line; do m=$((m + 1)); done
echo "m (pipeline subshell): $m"
sort -k2,2nr pairs.txt | head -n 2
