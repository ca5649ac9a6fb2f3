#!/bin/bash
# Readonly variables and functions: errors inside functions and for loops.
readonly OUTDIR=results
mkdir -p "$OUTDIR"
set_out() { OUTDIR=$1; echo "set_out returned"; }
set_out other
echo "after set_out: $? $OUTDIR"
for OUTDIR in a b; do echo "loop $OUTDIR"; done
echo "after loop: $?"
g() { echo "g runs"; }
readonly -f g
g() { echo "redefined"; }
echo "redefine status $?"
g
ls
