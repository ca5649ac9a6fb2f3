#!/bin/sh
# POSIX sh: set -C noclobber in one command, >| and errors later.
echo one > f.txt
set -C
echo two > f.txt
echo "status $?"
echo three >| f.txt
cat f.txt
set +C
echo four > f.txt
cat f.txt
