#!/bin/bash
# shopt -s globstar: ** recurses in later commands.
mkdir -p proj/src/lib proj/docs
touch proj/a.c proj/src/b.c proj/src/lib/c.c proj/docs/readme.md
echo proj/**/*.c
shopt -s globstar
echo proj/**/*.c
for f in proj/**; do [ -d "$f" ] && echo "dir $f"; done
count=0
for f in **/*.md; do count=$((count + 1)); done
echo "md files: $count"
shopt -u globstar
echo proj/**/*.c
