#!/bin/bash
# Both definition forms, bodies of different compound kinds, called later.
greet() { echo "hello $1"; }
function farewell { echo "bye $1"; }
function both() { echo "both forms: $*"; }
sub() ( cd /; echo "in subshell body: $PWD" )
tst() [[ $1 == y* ]]
arith() (( $1 > 10 ))
greet alice
farewell bob
both a b c
sub
echo "cwd unchanged: ${PWD##*/}"
tst yes && echo "tst yes"
tst no || echo "tst no"
arith 42 && echo "42 > 10"
declare -F | sort
