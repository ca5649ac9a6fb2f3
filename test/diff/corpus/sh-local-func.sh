#!/bin/sh
# dash: local variables in functions do not leak into later commands.
x=global
f() { local x; x=local; echo "inside: $x"; g; }
g() { echo "g sees: $x"; }
f
echo "outside: $x"
counter=0
inc() { local step; step=${1:-1}; counter=$((counter + step)); }
inc
inc 4
echo "counter=$counter step=${step:-unset}"
