#!/bin/bash
# exec <file: later commands read successive lines from the same open file.
printf '%s\n' "header" "row 1" "row 2" "row 3" "row 4" > input.txt
exec < input.txt
read -r header
echo "header=[$header]"
read -r first
echo "first=[$first]"
head -n 1
rest=$(cat)
echo "rest=[$rest]"
read -r more
echo "read at eof status $?"
