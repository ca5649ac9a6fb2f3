#!/bin/bash
# set -n in the middle: later commands are read but not executed; the
# script ends with status 0.
echo "executed"
touch before.txt
set -n
echo "not executed"
touch after.txt
exit 3
