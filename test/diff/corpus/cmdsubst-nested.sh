#!/bin/bash
# $( ) nesting, status of command substitutions, trailing newline removal.
mkdir -p data
for s in a b c; do printf '%s\n' 1 2 3 > "data/$s.txt"; done
files=$(ls data)
echo "files: $(echo $files)"
lines=$(cat $(printf 'data/%s.txt ' a b) | wc -l)
echo "lines=$lines"
last=$(basename "$(ls data | tail -n 1)" .txt)
echo "last=$last"
trail=$(printf 'x\n\n\n')
echo "[$trail]"
out=$(exit 7)
echo "status=$?"
nested=$(echo $(echo $(echo three levels)))
echo "$nested"
case $(echo "$last") in c) echo matched;; esac
