#!/bin/sh
# POSIX sh: exit in ( ) and $( ) does not end the script.
( echo "in subshell"; exit 3 )
echo "subshell status $?"
v=$(echo out; exit 4)
echo "v=$v status $?"
( cd / && echo "subshell cwd is root: $PWD" )
echo "script cwd unchanged: ${PWD##*/}"
x=1
( x=2 )
echo "x=$x"
