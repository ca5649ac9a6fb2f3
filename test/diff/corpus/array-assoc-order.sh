#!/bin/bash
# Unsorted iteration over an associative array filled over several commands:
# bash's hash order must be reproduced exactly (keys, values, declare -p).
declare -A depth
depth[chr1]=31
depth[chr2]=28
depth[chrX]=15
depth[chrM]=900
for c in "${!depth[@]}"; do echo "$c ${depth[$c]}"; done
depth[chr3]=22
unset 'depth[chr2]'
echo "${!depth[*]}"
echo "${depth[*]}"
declare -p depth
