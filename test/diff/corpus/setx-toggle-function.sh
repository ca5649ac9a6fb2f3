#!/bin/bash
# set -x enabled inside a function stays on after it returns; nested
# subshell and command substitution levels are marked with extra +.
work() { set -x; echo "working on $1"; }
echo "before"
work item1
echo "after work, still tracing"
v=$(echo inner)
( echo "subshell" )
set +x
echo "quiet again $v"
bash -xc 'echo child trace' 2>&1
