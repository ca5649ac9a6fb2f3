#!/bin/bash
# set -x with here-strings, [[ ]], case and arithmetic commands (no pipelines:
# their trace lines would race).
set -x
sort -n <<< $'3\n1\n2' > sorted.txt
tail -n 1 sorted.txt
read -r a b <<< "left right"
(( a_len = ${#a} * 2 ))
[[ $b == r* ]] && echo "b starts with r"
case $a in l*) echo "case l";; esac
{ set +x; } 2>/dev/null
echo "a_len=$a_len"
