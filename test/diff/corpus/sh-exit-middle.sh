#!/bin/sh
# POSIX sh: exit inside a function stops everything after it.
die() { echo "error: $1" >&2; exit "$2"; }
echo "begin"
[ -f config.ini ] || die "config.ini missing" 3
echo "not reached"
