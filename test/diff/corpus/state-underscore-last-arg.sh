#!/bin/bash
# $_ holds the last argument of the previous command, across commands.
mkdir -p results/run1
cd "$_"
echo "in ${PWD##*/}"
touch a.txt b.txt c.txt
echo "last arg was $_"
echo one two three
echo "underscore: $_"
f() { :; }
f x y z
echo "after f: $_"
: final
echo "colon: $_"
