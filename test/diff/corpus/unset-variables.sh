#!/bin/bash
# unset of variables, functions and array elements across commands.
x=1; y=2; z=3
unset x
echo "x=${x-unset} y=$y"
[[ -v y ]] && echo "y is set"
unset y z
echo "${y-unset} ${z-unset}"
cleanup() { echo cleanup; }
cleanup
unset -f cleanup
cleanup 2>/dev/null || echo "cleanup gone ($?)"
v=var
v() { echo "function v"; }
unset v
v
unset v
type v 2>&1 | head -n 1
