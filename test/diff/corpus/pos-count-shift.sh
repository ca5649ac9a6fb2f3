#!/bin/bash
# args: input.csv output.csv 5 verbose
# $#, $1.., shift across commands.
echo "count=$# first=$1 last=${!#}"
infile=$1
shift
echo "after shift: $# now first=$1"
outfile=$1; shift
n=$1
shift 1
echo "remaining: $# [$*]"
echo "$infile -> $outfile (n=$n)"
shift
echo "empty now: $# [${1-none}]"
shift
echo "shift on empty: $?"
