#!/bin/sh
# POSIX sh (dash): assigning to a readonly variable set earlier is fatal.
readonly LIMIT=10
echo "limit=$LIMIT"
readonly -p | grep LIMIT
n=$((LIMIT - 1))
echo "n=$n"
LIMIT=20
echo "not reached"
