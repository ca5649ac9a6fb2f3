#!/bin/bash
# cd inside ( ), $( ), pipelines and functions: only the function's cd
# persists into later commands.
mkdir -p d1 d2
( cd d1 && touch from_subshell )
echo "after subshell: ${PWD##*/}"
x=$(cd d2; pwd)
echo "cmdsubst was in ${x##*/}, now ${PWD##*/}"
echo | cd d1
echo "after pipeline: ${PWD##*/}"
go() { cd "$1"; }
go d2
echo "after function: ${PWD##*/}"
touch from_function
cd ..
ls d1 d2
