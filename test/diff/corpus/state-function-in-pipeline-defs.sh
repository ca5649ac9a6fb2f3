#!/bin/bash
# Functions, variables and cd inside pipelines/subshells/cmdsubst do not
# persist; those in the current shell do (lastpipe off).
echo | f1() { :; }
declare -F f1 || echo "f1 not defined (pipeline)"
v=$(g1() { :; }; declare -F g1)
echo "inside cmdsubst: $v"
declare -F g1 || echo "g1 not defined outside"
echo "value" | read -r piped
echo "piped=${piped:-empty}"
{ h1() { echo "h1 from group"; }; }
h1
if true; then h2() { echo "h2 from if"; }; fi
h2
