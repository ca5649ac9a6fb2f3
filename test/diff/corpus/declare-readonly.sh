#!/bin/bash
# readonly set in one command; a later assignment fails with an error
# message naming the script and line, and the script continues.
readonly VERSION=1.2
declare -r MAX=10
echo "version $VERSION max $MAX"
VERSION=2.0
echo "status after assignment: $? version still $VERSION"
MAX+=1
echo "max still $MAX"
unset VERSION
echo "unset status $? $VERSION"
readonly -p | grep -E 'VERSION|MAX'
f() { local MAX=3; echo "local shadow $MAX"; }
f
echo "end $MAX"
