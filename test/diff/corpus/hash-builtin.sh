#!/bin/bash
# The command hash table filled by earlier commands (paths shown by name only).
hash -r
hash 2>&1
sort /dev/null
sort /dev/null
cut -c1 /dev/null
hash | awk 'NR > 1 { n = split($2, p, "/"); print $1, p[n] }' | sort -k2
hash -t sort > /dev/null && echo "sort hashed"
hash -d sort
hash -t sort 2>&1 | sed 's/^.*line [0-9]*: //'
hash -r
hash
