#!/bin/bash
# Group files by a date embedded in their names (no clock used).
for d in 20240105 20240105 20240212 20240301 20240301 20240301; do
  n=$(ls | grep -c "^obs_$d") 
  touch "obs_${d}_$n.dat"
done
ls
declare -A per_month
for f in obs_*.dat; do
  [[ $f =~ ^obs_([0-9]{4})([0-9]{2})[0-9]{2}_ ]] || continue
  key="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"
  per_month[$key]=$(( ${per_month[$key]:-0} + 1 ))
done
for k in $(printf '%s\n' "${!per_month[@]}" | sort); do echo "$k: ${per_month[$k]}"; done
echo "last key matched: ${BASH_REMATCH[0]}"
