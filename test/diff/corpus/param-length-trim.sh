#!/bin/bash
# ${#x} and prefix/suffix removal # ## % %%.
path="/data/project/raw/sample_01.fastq.gz"
echo "len=${#path}"
base=${path##*/}
dir=${path%/*}
echo "base=$base dir=$dir"
stem=${base%%.*}
ext=${base#*.}
short_ext=${base##*.}
echo "stem=$stem ext=$ext short=$short_ext"
noext=${base%.gz}
echo "noext=$noext"
num=${stem#sample_}
echo "num=$num next=$((10#$num + 1))"
set -- one two three
echo "args len=${#@} first len=${#1}"
arr=(aa bbb c)
echo "arr n=${#arr[@]} len1=${#arr[1]}"
