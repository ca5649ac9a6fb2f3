#!/bin/sh
# dash: set -e with subshells and command substitutions.
set -e
( true; echo "subshell ok" )
v=$(echo captured)
echo "v=$v"
( false ) || echo "failed subshell handled"
out=$(false || echo fallback)
echo "out=$out"
( exit 3 )
echo "not reached"
