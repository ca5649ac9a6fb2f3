#!/bin/sh
# POSIX sh: a small data-processing script over generated files.
mkdir -p runs
for r in 1 2 3; do
  i=0
  while [ $i -lt $((r * 2)) ]; do echo "$r $((i * r))"; i=$((i + 1)); done > "runs/run$r.dat"
done
for f in runs/*.dat; do
  printf '%s lines=%s max=%s\n' "${f##*/}" "$(wc -l < "$f")" "$(cut -d' ' -f2 "$f" | sort -n | tail -n 1)"
done
cat runs/*.dat | awk '{ s += $2 } END { print "total", s }'
if [ "$(ls runs | wc -l)" -eq 3 ]; then echo "all runs present"; fi
