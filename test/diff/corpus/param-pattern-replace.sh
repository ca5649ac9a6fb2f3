#!/bin/bash
# ${x/pat/rep} ${x//pat/rep} ${x/#pat/rep} ${x/%pat/rep} and with globs.
file="raw data/run 1/output.tsv"
safe=${file// /_}
echo "$safe"
echo "${file/run/RUN}"
echo "${safe//[aeiou]/}"
echo "${safe/#raw/clean}"
echo "${safe/%tsv/csv}"
list="a,b,,c"
echo "${list//,/ }"
amp="x&y"
echo "${amp/&/ and }"
shopt -s patsub_replacement 2>/dev/null
echo "${list/b/[&]}"
arr=(img_1.png img_2.png doc.txt)
echo "${arr[@]/%.png/.jpg}"
echo "${arr[@]/#img_/}"
