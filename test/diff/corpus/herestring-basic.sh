#!/bin/bash
# Here-strings <<< with variables defined in earlier commands.
data="3 1 2"
read -r a b c <<< "$data"
echo "a=$a b=$b c=$c"
tr ' ' '\n' <<< "$data" | sort -n | paste -sd, -
wc -c <<< "$data"
csv="x,y
1,2
3,4"
awk -F, 'NR>1 {s+=$2} END {print "sum y:", s}' <<< "$csv"
while IFS=, read -r x y; do echo "$x -> $y"; done <<< "$csv"
bc_free=$(cut -d' ' -f2 <<< "$data")
echo "second=$bc_free"
cat <<< 'literal $data'
