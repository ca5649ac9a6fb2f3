#!/bin/bash
# mapfile/readarray into arrays used by later commands.
seq 1 5 > nums.txt
mapfile -t arr < nums.txt
echo "n=${#arr[@]} last=${arr[-1]}"
mapfile -t -O 10 arr < <(printf 'x\ny\n')
echo "indices: ${!arr[*]}"
mapfile lines < nums.txt
printf '%s' "${lines[0]}" | od -c | head -n 1
mapfile -t -d , parts <<< "a,b,c"
echo "parts: ${#parts[@]} [${parts[2]}]"
cb() { echo "callback $1: $2"; }
mapfile -t -C cb -c 2 counted < nums.txt
echo "counted=${#counted[@]}"
readarray -t sorted < <(sort -r nums.txt)
echo "${sorted[*]}"
