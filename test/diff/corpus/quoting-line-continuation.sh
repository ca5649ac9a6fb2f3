#!/bin/bash
# Backslash-newline continuations split commands across lines.
out=results\
.txt
echo "writing $out"
printf '%s,%s,%s\n' \
  alpha \
  beta \
  gamma > "$out"
cat "$out"
total=$(( 1 + \
  2 + \
  3 ))
echo "total=$total"
echo "inside double quotes \
continues"
echo 'inside single quotes \
does not'
if [ "$total" -eq 6 ] && \
   [ -f "$out" ]; then echo ok; fi
