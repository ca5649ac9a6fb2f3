#!/bin/bash
# += on arrays and elements, modifications carried across commands.
results=()
results+=(alpha)
results+=(beta "gamma delta")
echo "${#results[@]}: ${results[*]}"
results[0]+=_v2
echo "${results[0]}"
for f in one two; do results+=("$f.txt"); done
printf '[%s]\n' "${results[@]}"
results=("${results[@]/.txt/.csv}")
echo "${results[@]: -2}"
nums=(3 1 2)
nums+=(5)
sorted=($(printf '%s\n' "${nums[@]}" | sort -n))
echo "sorted: ${sorted[*]}"
declare -p nums
