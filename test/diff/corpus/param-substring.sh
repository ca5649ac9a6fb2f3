#!/bin/bash
# ${x:offset:length} including negative offsets; arrays too.
id="SAMPLE_2024_batch07_rep3"
year=${id:7:4}
echo "year=$year"
echo "tail=${id: -4}"
echo "mid=${id:12}"
echo "neg=${id: -10:5}"
echo "len0=[${id:3:0}]"
nums=(10 20 30 40 50)
echo "${nums[@]:1:3}"
echo "${nums[@]: -2}"
set -- a b c d e
echo "${@:2:2}"
echo "${*:4}"
code=${year:2}${id: -1}
echo "code=$code"
