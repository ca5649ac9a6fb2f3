#!/bin/sh
# POSIX sh: exit N runs the EXIT trap with $? = N; later lines do not run.
trap 'echo "trap sees $?"' EXIT
echo "working"
touch result.txt
exit 4
echo "not reached"
