#!/bin/bash
# Array slices, keys, "${a[@]}" vs "${a[*]}" with IFS.
cols=(id name score unit)
IFS=,
echo "${cols[*]}"
unset IFS
echo "${cols[*]}"
printf '<%s>' "${cols[@]:1}"; echo
set -- "${cols[@]}"
echo "$# $3"
line=$(IFS=$'\t'; echo "${cols[*]}")
echo "$line" | cut -f3
keys=("${!cols[@]}")
echo "keys=${keys[*]}"
last_idx=$(( ${#cols[@]} - 1 ))
echo "last=${cols[$last_idx]}"
