#!/bin/bash
# until loops with counters and a file that "appears" during the loop.
attempt=0
until [ -f ready.flag ]; do
  attempt=$((attempt+1))
  echo "attempt $attempt"
  [ $attempt -eq 3 ] && touch ready.flag
done
echo "ready after $attempt"
x=1
until (( x > 100 )); do x=$((x*3)); done
echo "x=$x"
until false; do echo "once"; break; done
