#!/bin/sh
# args: -n 3 -q -x file1 file2
# POSIX sh: getopts loop, then positional parameters used later.
n=1 quiet=no
while getopts n:q opt; do
  case $opt in
    n) n=$OPTARG ;;
    q) quiet=yes ;;
    ?) echo "bad option seen" ;;
  esac
done
shift $((OPTIND - 1))
echo "n=$n quiet=$quiet OPTIND=$OPTIND rest=$*"
i=0
while [ $i -lt "$n" ]; do i=$((i + 1)); echo "round $i"; done
