#!/bin/bash
# Errors raised inside functions report the line of the failing command
# within the script (not within the step).
process() {
  echo "processing $1"
  nonexistent_tool --input "$1"
  echo "status inside: $?"
}
echo start
process a.txt
echo "after first call"

check() {
  local f=$1
  [ -f "$f" ] || undefined_helper "$f"
}
check missing.dat
echo "check status $?"
process b.txt
