#!/bin/bash
# break/continue with levels; loop state carried to later commands.
found=""
for dir in a b c; do
  for file in 1 2 3; do
    [ "$file" = 2 ] && continue
    if [ "$dir$file" = b3 ]; then found="$dir$file"; break 2; fi
    echo "visit $dir$file"
  done
done
echo "found=$found dir=$dir file=$file"
i=0
while :; do
  i=$((i+1))
  (( i % 2 )) && continue
  (( i > 6 )) && break
  echo "even $i"
done
echo "i=$i"
