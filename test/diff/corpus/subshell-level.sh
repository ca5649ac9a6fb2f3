#!/bin/bash
# BASH_SUBSHELL at top level, in ( ), in $( ), in pipelines.
echo "top: $BASH_SUBSHELL"
( echo "subshell: $BASH_SUBSHELL"; ( echo "nested: $BASH_SUBSHELL" ) )
v=$(echo "cmdsubst: $BASH_SUBSHELL")
echo "$v"
echo x | { read -r _; echo "pipeline: $BASH_SUBSHELL"; }
f() { echo "function: $BASH_SUBSHELL"; }
f
echo "top again: $BASH_SUBSHELL"
