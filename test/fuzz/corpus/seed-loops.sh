while read -r x; do echo "$x"; done < f
until false; do break; done
for x in a b "c d"; do echo $x; done
for x; do :; done
for x do :; done
for x in a; { echo; }
