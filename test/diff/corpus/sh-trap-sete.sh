#!/bin/sh
# POSIX sh: a set -e failure fires the EXIT trap; trap - EXIT then resets.
trap 'echo "first trap"' EXIT
trap - EXIT
trap 'echo "cleanup: status=$?"; rm -f tmp.part' EXIT
trap
set -e
echo partial > tmp.part
cat missing.txt
echo "not reached"
