#!/bin/bash
# Associative arrays declared in one command, filled and read in later ones.
declare -A unit
unit[mass]=kg
unit[length]=m
unit["time span"]=s
echo "n=${#unit[@]}"
echo "mass in ${unit[mass]}, time in ${unit[time span]}"
for k in $(printf '%s\n' "${!unit[@]}" | sort); do echo "key $k"; done
[[ -v unit[length] ]] && echo "length present"
[[ -v unit[volume] ]] || echo "volume absent"
unset 'unit[length]'
echo "n=${#unit[@]}"
unit[mass]+=s
echo "${unit[mass]}"
declare -A lit=([b]=2 [a]=1)
echo "${lit[a]}${lit[b]}"
