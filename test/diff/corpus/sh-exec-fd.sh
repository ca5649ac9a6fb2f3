#!/bin/sh
# POSIX sh: exec 3>file stays open for later commands.
exec 3> log.txt
echo "line 1" >&3
echo "line 2" >&3
exec 3>&-
cat log.txt
exec 4< log.txt
read -r a <&4
read -r b <&4
echo "a=$a b=$b"
exec 4<&-
