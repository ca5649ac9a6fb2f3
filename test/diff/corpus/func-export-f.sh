#!/bin/bash
# export -f: a child bash started in a later command can call the function.
normalize() { echo "$1" | tr 'A-Z' 'a-z' | tr -s ' ' '_'; }
export -f normalize
bash -c 'normalize "Hello  Big World"'
helper() { echo "helper v1"; }
export -f helper
helper() { echo "helper v2"; }
bash -c helper
export -nf helper
bash -c 'helper 2>/dev/null || echo "helper not exported ($?)"'
printf '%s\n' "Sample A" "Sample B" | while read -r s; do bash -c 'normalize "$0"' "$s"; done
env | grep -c '^BASH_FUNC_normalize%%='
