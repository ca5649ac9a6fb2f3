#!/bin/bash
# Plain variables assigned in many different ways carry to later commands.
a=1
b="two words"
c=$a$a
read -r d <<< "from read"
for e in x y last; do :; done
printf -v f '%s' formatted
let g=6*7
(( h = g + 1 ))
: ${i:=defaulted}
declare j=declared
k=( array_first second )
l=$(echo substituted)
echo "$a|$b|$c|$d|$e|$f|$g|$h|$i|$j|$k|$l"
a+=0
b+=" more"
echo "$a|$b"
