#!/bin/sh
# args: in.txt 'with space' last
# POSIX sh: positional parameters, set --, "$@" and $*.
echo "n=$#"
for a in "$@"; do printf '<%s>\n' "$a"; done
set -- "$@" added
echo "n=$# fourth=$4"
saved="$*"
set -- x y
echo "now: $*"
echo "saved: $saved"
IFS=,
echo "joined: $*"
