#!/bin/bash
# A custom PS4 (with $LINENO and FUNCNAME) set in one command is used by
# the trace of later commands.
PS4='+[${LINENO}] '
set -x
x=1
echo "x=$x"
f() { echo "in f"; }
f
PS4='>> ${FUNCNAME[0]:-main}:$LINENO: '
f
y=$((x + 1))
set +x
echo "y=$y"
