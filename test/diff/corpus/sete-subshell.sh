#!/bin/bash
# set -e inherited by subshells; a failing subshell fails the script.
set -e
(echo "in subshell"; true)
out=$(echo "cmdsubst inherits? $-" | grep -o e | head -n1)
echo "cmdsubst flag: ${out:-none}"
(false; echo "printed: set -e is off inside a || list") || echo "not printed"
(set -e; false; echo "printed too: re-enabling set -e does not help") && : || echo "not printed"
echo "continuing"
( exit 4 )
echo "not reached"
