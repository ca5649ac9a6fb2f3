#!/bin/bash
# exit N in the middle of the script: later commands must not run.
echo "one"
mkdir -p out
echo "two" > out/two.txt
status=5
exit $status
echo "three"
touch out/three.txt
