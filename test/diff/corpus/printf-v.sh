#!/bin/bash
# printf -v assigns to variables (and array elements) used later.
printf -v padded '%05d' 42
printf -v name 'sample_%03d.%s' 7 csv
printf -v pct '%.1f%%' 12.345
echo "$padded $name $pct"
declare -a files
for i in 1 2 3; do printf -v 'files[i]' 'run_%02d.log' "$i"; done
echo "${files[*]}"
printf -v line '%s,' a b c
line=${line%,}
echo "line=$line"
printf -v hex '%x' 255
printf -v q '%q' "it's here"
echo "hex=$hex q=$q"
printf '%s=%s\n' k1 v1 k2 v2
printf '%-6s|%6s|\n' left right
printf '%b\n' 'tab\there'
