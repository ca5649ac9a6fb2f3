#!/bin/sh
# POSIX sh: arithmetic expansion with values from earlier commands.
a=17
b=5
echo "$((a + b)) $((a - b)) $((a * b)) $((a / b)) $((a % b))"
c=$((a > b))
echo "c=$c"
i=0
while [ $i -lt 4 ]; do i=$((i + 1)); done
echo "i=$i"
echo "$(( (a + b) * 2 - i ))"
hex=$((0x10))
echo "hex=$hex"
: $((i += 10))
echo "i=$i"
