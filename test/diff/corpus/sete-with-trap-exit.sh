#!/bin/bash
# set -e failure runs the EXIT trap, which sees the failing status.
trap 'echo "exit trap: status=$?"; ls' EXIT
set -e
touch created.txt
echo "working"
cp nonexistent.txt dest.txt
echo "not reached"
