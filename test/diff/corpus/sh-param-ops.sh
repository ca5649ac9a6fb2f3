#!/bin/sh
# POSIX sh: ${#x} ${x#} ${x##} ${x%} ${x%%} ${x:+} ${x:?}.
f=/data/runs/run_07.tar.gz
echo "len=${#f}"
echo "base=${f##*/} dir=${f%/*}"
echo "stem=${f%%.*} ext=${f#*.}"
n=${f##*_}
n=${n%%.*}
echo "n=$n"
set -- a b
echo "${1:+has-first} ${3:+never}"
echo "${missing:?is required}"
echo "not reached"
