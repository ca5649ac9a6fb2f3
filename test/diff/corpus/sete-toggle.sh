#!/bin/bash
# set -e then set +e in a later command; $- reflects the state.
set -e
echo "flags: ${-//[^e]/}"
set +e
false
echo "after false with +e: $?"
set -o errexit
echo "flags: ${-//[^e]/}"
shopt -o errexit
set +o errexit
shopt -po errexit
false
echo "still here"
set -e
grep -q nothing /dev/null
echo "not reached"
