#!/bin/bash
# Nested quotes inside ${ } and $( ).
dir="my data"
mkdir -p "$dir/sub dir"
echo "x" > "$dir/sub dir/f 1.txt"
count="$(ls "$dir/sub dir" | wc -l)"
echo "count=$count"
unset missing
echo "${missing:-"default with spaces"}"
echo "${missing:-'single in double'}"
echo ${missing:-"a b"} | wc -w
v="a'b\"c"
echo "${v//\'/Q}" "${v//\"/D}"
inner="$(echo "$(echo "deep $(echo "deeper")")")"
echo "$inner"
echo "${dir/"my"/"your"}"
name=file; echo "${name:+"$name.txt"}"
