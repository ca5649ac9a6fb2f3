#!/bin/bash
# set -e in one command; a failure in a later command ends the script
# with that command's status.
set -e
echo "step 1"
mkdir -p out
echo data > out/a.txt
grep -q data out/a.txt
echo "step 2"
grep -q missing out/a.txt
echo "must not print"
