#!/bin/sh
# POSIX sh: background jobs started in one command, waited for later.
(sleep 0.05; echo "bg one" > one.out) &
p1=$!
(echo "bg two" > two.out; exit 3) &
p2=$!
wait $p1
echo "one: $?"
wait $p2
echo "two: $?"
cat one.out two.out
