#!/bin/bash
# An EXIT trap set in the first command fires once at the end of the script
# and sees variables set later.
trap 'echo "EXIT trap: processed=$processed status=$?"' EXIT
processed=0
for f in a b c; do
  echo "$f" > "$f.txt"
  processed=$((processed + 1))
done
echo "done writing"
ls
