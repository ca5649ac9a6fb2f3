#!/bin/bash
# Changes inside ( ) do not leak to later commands; changes in { } do.
x=outer
( x=inner; y=sub; echo "inside: $x $y" )
echo "after ( ): x=$x y=${y-unset}"
{ x=grouped; y=set; }
echo "after { }: x=$x y=$y"
( set -e; shopt -s nullglob; alias q=echo )
echo "options unchanged: ${-//[^e]/} $(shopt -q nullglob && echo on || echo off)"
( f() { echo "sub function"; }; f )
declare -F f || echo "no f outside"
( exit 0 ) && echo "subshell true"
counter=0
for i in 1 2 3; do ( counter=$((counter+i)) ); done
echo "counter=$counter"
