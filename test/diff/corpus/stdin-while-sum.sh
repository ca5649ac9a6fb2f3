#!/bin/bash
# stdin: readings.txt
# A pipeline stage reads stdin; results are collected in a file and summed
# by later commands.
grep -v '^#' | sort -k2,2n > sorted.txt
cat sorted.txt
lowest=$(head -n 1 sorted.txt | cut -d' ' -f1)
echo "lowest: $lowest"
awk '{ s += $2 } END { printf "sum=%.2f n=%d\n", s, NR }' sorted.txt
cat
echo "stdin already consumed: ok"
