#!/bin/bash
# && and || chains, with status carried to the next command.
mkdir out && echo "created out"
mkdir out 2>/dev/null && echo "never" || echo "out exists"
[ -d out ] && [ -w out ] && touch out/ok && echo "wrote ok"
false || false || echo "third"
true || echo "skipped"
echo "status after skipped ||: $?"
false && echo "skipped"
echo "status after skipped &&: $?"
test -f out/ok && { echo "group on success"; n=1; } || { echo "fallback"; n=2; }
echo "n=$n"
