#!/bin/sh
# POSIX sh: set -e in one command; a later failing command ends the script.
set -e
echo "first"
mkdir work
echo "x" > work/f
grep -q x work/f
echo "second"
grep -q y work/f
echo "not reached"
