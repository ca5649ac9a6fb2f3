#!/bin/bash
# Several commands on one line separated by ; and & form one top-level
# command; state changes inside the line are visible later on the line.
x=1; y=$((x + 1)); echo "x=$x y=$y"
mkdir -p d; cd d; touch inside; cd ..; ls d
f() { echo "f:$1"; }; f same-line; g() { f "via g $1"; }; g call
(echo sub-a) ; { echo group-b; } ; echo plain-c
set -- p q; shift; echo "args now: $*"
false; echo "status on same line: $?"
echo "next line sees y=$y and args $*"
true && { z=3; echo "z=$z"; } || echo never; echo "z after: $z"
