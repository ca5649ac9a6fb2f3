#!/bin/bash
# set -e does not trigger in while/until conditions.
set -e
i=0
while [ $i -lt 3 ]; do i=$((i+1)); done
echo "i=$i"
until [ $i -eq 0 ]; do i=$((i-1)); done
echo "i=$i"
printf 'a\nb\n' > lines.txt
while read -r l; do echo "read $l"; done < lines.txt
n=0
while grep -q "^$n$" <(seq 0 2); do n=$((n+1)); done
echo "n=$n"
for f in a b; do
  [ "$f" = b ] && echo "found b"
done
echo "loop status ok"
i=$((i+1))
(( i == 5 ))
echo "not reached"
