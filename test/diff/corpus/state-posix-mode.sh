#!/bin/bash
# set -o posix in one command changes bash behaviour in later commands:
# $SHELLOPTS, and an assignment to a readonly variable now ends the script.
readonly LOCKED=1
LOCKED=2
echo "non-posix: still running after readonly error"
set -o posix
echo "posix: $(set -o | grep '^posix' | tr -s ' \t' ' ')"
echo "$SHELLOPTS" | tr ':' '\n' | grep -c posix
f() { echo "function in posix mode"; }
f
LOCKED=3
echo "not reached"
