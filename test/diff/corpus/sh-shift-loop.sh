#!/bin/sh
# args: -o out.txt -v a b c
# POSIX sh: parse options with a while/case/shift loop; in dash a shift
# past the end is a fatal error.
out=default.txt verbose=0
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    --) shift; break ;;
    -*) echo "unknown $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
echo "out=$out verbose=$verbose rest=$*"
for f in "$@"; do echo "$f" >> "$out"; done
cat "$out"
shift 5 || echo "cannot shift 5"
echo "still $#"
