#!/bin/bash
# args: a b 'c d'
# "$*" joined with the first character of IFS, IFS set in earlier commands.
echo "$*"
IFS=-
echo "$*"
joined="$*"
IFS=
echo "$*"
unset IFS
echo "$*"
echo "joined=$joined"
IFS=:,
echo "$*" "${*}"
