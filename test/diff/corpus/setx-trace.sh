#!/bin/bash
# set -x traces later commands to stderr (assignments, expansions,
# compound commands, quoting of traced words).
set -x
name="my sample"
count=$(( 2 + 3 ))
echo "$name" $count
for f in a b; do touch "$f.txt"; done
if [ -f a.txt ]; then echo found; fi
ls > listing.txt
wc -l < listing.txt
arr=(x "y z")
echo "${arr[@]}" 'single $quoted'
set +x
echo "tracing off"
