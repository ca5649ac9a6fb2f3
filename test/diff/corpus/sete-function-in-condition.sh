#!/bin/bash
# A function called in a condition context runs with set -e disabled in its
# body; the same function called plainly stops the script at the failure.
set -e
step() {
  echo "step $1 begin"
  false
  echo "step $1 end (set -e ignored)"
}
step 1 || true
if step 2; then :; fi
while step 3; do break; done
x=$(step 4; echo sub-continues) || true
echo "$x"
step 5
echo "not reached"
