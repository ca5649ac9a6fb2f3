#!/bin/bash
# IFS changed in one command affects splitting in later commands.
line="a:b::c"
for f in $line; do printf '[%s]' "$f"; done; echo
IFS=:
for f in $line; do printf '[%s]' "$f"; done; echo
set -- $line
echo "n=$#"
echo "joined=$*"
IFS=' '
echo "rejoined=$*"
unset IFS
words="  lead   trail  "
set -- $words
echo "n=$#"
IFS=, read -r x y z <<< "1,2,3"
echo "$x $y $z"
printf '%s\n' "$IFS" | od -c | head -n1
