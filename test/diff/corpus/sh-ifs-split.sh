#!/bin/sh
# POSIX sh: IFS set in one command affects splitting later.
data="a:b:c"
for x in $data; do printf '[%s]' "$x"; done; echo
IFS=:
for x in $data; do printf '[%s]' "$x"; done; echo
set -- $data
echo "n=$#"
IFS=' '
line="  one   two  "
set -- $line
echo "n=$# first=$1"
