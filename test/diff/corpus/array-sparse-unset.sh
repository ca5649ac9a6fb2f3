#!/bin/bash
# Sparse arrays, unset of elements, indices preserved.
a=(zero one two three four)
unset 'a[1]'
unset 'a[3]'
echo "n=${#a[@]} idx=${!a[*]}"
declare -p a
a[10]=ten
echo "idx=${!a[*]}"
for i in "${!a[@]}"; do echo "$i=${a[$i]}"; done
b=("${a[@]}")
echo "reindexed: ${!b[*]}"
unset a
echo "after unset: ${#a[@]} [${a[*]}]"
declare -a c=([5]=five [2]=two)
declare -p c
