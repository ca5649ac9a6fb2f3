#!/bin/bash
# Indexed arrays defined in one command, used in later ones.
samples=(ctrl_1 ctrl_2 treat_1 treat_2)
echo "n=${#samples[@]}"
echo "first=${samples[0]} last=${samples[-1]}"
for s in "${samples[@]}"; do echo "processing $s"; done
samples[4]=treat_3
echo "n=${#samples[@]} ${samples[*]}"
printf '%s\n' "${samples[@]}" | grep -c treat
for i in "${!samples[@]}"; do printf '%d:%s ' "$i" "${samples[$i]}"; done; echo
copy=("${samples[@]:1:2}")
echo "copy: ${copy[*]}"
declare -p copy
