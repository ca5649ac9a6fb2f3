#!/bin/bash
# set -f disables globbing for later commands until set +f.
touch a.dat b.dat c.txt
echo *.dat
set -f
echo *.dat
pattern="*.txt"
ls $pattern 2>&1
files=(*)
echo "${#files[@]} ${files[0]}"
set +f
files=(*)
echo "${#files[@]}"
echo $pattern
