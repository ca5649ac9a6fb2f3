#!/bin/sh
# args: red green 'light blue'
# POSIX sh: for without "in" iterates over "$@"; set -- changes it later.
for c; do echo "color: $c"; done
set -- one two
for w; do echo "word: $w"; done
n=0
for w do n=$((n + 1)); done
echo "n=$n"
