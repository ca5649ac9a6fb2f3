#!/bin/bash
# An assignment from a failing command substitution triggers set -e;
# local/export/declare with a failing substitution do not.
set -e
f() { local v=$(false); echo "local masks status: '$v'"; }
f
export E=$(false)
echo "export masks status"
declare d=$(exit 3)
echo "declare masks status"
v=$(echo partial; exit 2)
echo "not reached: $v"
