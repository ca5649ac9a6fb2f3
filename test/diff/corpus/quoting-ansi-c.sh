#!/bin/bash
# $'...' strings: escapes decoded once, stored, reused later.
sep=$'\t'
nl=$'\n'
header="id${sep}value${sep}unit"
echo "$header"
printf '%s\n' "a${nl}b" | wc -l
bell_free=$'line1\nline2\x41\101\u00e9'
echo "$bell_free"
quote=$'it\'s a \"test\"'
echo "$quote"
row=$'3\t4.5\tkg'
echo "$row" | awk -F"$sep" '{print $2 * 2, $3}'
IFS=$'\t' read -r a b c <<< "$row"
echo "a=$a b=$b c=$c"
echo $'\\backslash' $'\e[0m' | od -c | head -n 2
