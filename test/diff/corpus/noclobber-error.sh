#!/bin/bash
# set -C: > on an existing file fails (error message with line number),
# >| overrides, >> still appends.
echo first > out.txt
set -C
echo second > out.txt
echo "status=$?"
cat out.txt
echo forced >| out.txt
echo appended >> out.txt
cat out.txt
echo new > new.txt
echo "new file ok: $?"
set +C
echo third > out.txt
cat out.txt
