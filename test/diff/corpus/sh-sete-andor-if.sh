#!/bin/sh
# POSIX sh (dash): set -e is ignored in if conditions, && || lists and !.
set -e
check() { false; echo "check continues in condition context"; return 1; }
if check; then echo yes; else echo "check failed"; fi
false || echo "or ran"
false && echo "never"
echo "after && list: $?"
! true
echo "after ! true"
while false; do :; done
check || true
check
echo "not reached"
