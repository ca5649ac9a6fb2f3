#!/bin/bash
# args: 'file one.txt' 'file two.txt' plain '' '  spaced  '
# "$@" preserves arguments with spaces and empty ones; $@ unquoted splits.
echo "n=$#"
printf '<%s>\n' "$@"
printf '[%s]' $@; echo
for f in "$@"; do [ -n "$f" ] && touch "$f"; done
ls
args=("$@")
echo "saved ${#args[@]}: ${args[1]}"
set -- "${args[@]:0:2}"
printf '{%s}' "$@"; echo
