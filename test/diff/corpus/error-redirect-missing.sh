#!/bin/bash
# Redirection errors: missing input file, directory as output, bad fd.
wc -l < missing_input.txt
echo "status=$?"
mkdir outdir
echo data > outdir
echo "status=$?"
echo hi >&7
echo "bad fd status=$?"
echo "x" > nodir/file.txt
echo "status=$?"
{ echo "grouped"; } < also_missing.txt
echo "group not run: $?"
