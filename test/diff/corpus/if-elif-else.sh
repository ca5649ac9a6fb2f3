#!/bin/bash
# if/elif/else chains over data, results used later.
classify() {
  if (( $1 < 0 )); then echo negative
  elif (( $1 == 0 )); then echo zero
  elif (( $1 < 10 )); then echo small
  else echo large
  fi
}
for v in -3 0 7 42; do echo "$v: $(classify $v)"; done
touch flag.txt
if [ -f flag.txt ]
then
  state=present
else
  state=absent
fi
echo "state=$state"
if grep -q x flag.txt; then echo "has x"; elif [ ! -s flag.txt ]; then echo "empty file"; fi
if ! [ "$state" = absent ]; then echo "negated test"; fi
