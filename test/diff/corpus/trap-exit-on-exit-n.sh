#!/bin/bash
# exit N in the middle: the EXIT trap runs with $? = N, the script's status
# stays N, later lines do not run.
cleanup() { echo "cleanup: status $?"; rm -f partial.tmp; ls; }
trap cleanup EXIT
echo "partial" > partial.tmp
echo "kept" > result.txt
if [ -f result.txt ]; then
  echo "exiting with 3"
  exit 3
fi
echo "not reached"
