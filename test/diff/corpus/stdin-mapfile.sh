#!/bin/bash
# stdin: greek.txt
# mapfile from stdin in one command; the array is used by later commands.
mapfile -t -n 3 first3
echo "first3: ${first3[*]}"
mapfile -t rest
echo "rest: ${#rest[@]} items, last=${rest[-1]}"
for ((i = ${#rest[@]} - 1; i >= 0; i--)); do printf '%s ' "${rest[i]}"; done; echo
all=("${first3[@]}" "${rest[@]}")
printf '%s\n' "${all[@]}" | awk '{ print length($0), $0 }' | sort -k1,1n -k2 | head -n 3
