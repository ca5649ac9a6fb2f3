#!/bin/bash
# local variables, dynamic scoping, globals modified by functions.
x=global
show() { echo "show sees x=$x"; }
outer() { local x=outer_local; show; inner; echo "outer after inner: x=$x"; }
inner() { x=modified_by_inner; }
outer
echo "top: x=$x"
counter=0
bump() { local step=${1:-1}; counter=$((counter + step)); }
bump
bump 5
echo "counter=$counter step=${step:-unset}"
f() { local -i n=3; n+=4; echo "n=$n"; local arr=(a b); echo "${#arr[@]}"; }
f
echo "n=${n:-unset} arr=${arr[*]:-unset}"
g() { local IFS=,; echo "$*"; }
g a b c
echo "IFS restored: $(set -- a b; echo "$*")"
