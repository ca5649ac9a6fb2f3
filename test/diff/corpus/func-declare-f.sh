#!/bin/bash
# declare -f / type print function bodies as bash normalises them.
compute() {
  local a=$1   # comment dropped by bash
  for ((i = 0; i < 3; i++)); do a=$((a + i)); done
  echo "$a"
}
declare -f compute
compute 10
type compute | head -n 3
cleanup() { rm -f tmp_*; }
declare -F
declare -f cleanup compute | wc -l
