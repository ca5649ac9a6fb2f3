#!/bin/sh
# POSIX sh: set -u makes a later expansion of an unset variable fatal.
set -u
ok=fine
echo "ok=$ok ${maybe:-default}"
echo "value: $not_defined"
echo "not reached"
