#!/bin/sh
# POSIX sh: set -x traces later commands (dash's trace format).
set -x
a=1
echo "a=$a"
f() { echo "in f $1"; }
f arg
set +x
echo "done"
