#!/bin/bash
# args: -v -n 5 -o 'out dir' -x input1.txt input2.txt
# getopts loop over the positional parameters, state used afterwards.
verbose=0 count=1 outdir=. extra=0
while getopts "vn:o:x" opt; do
  case $opt in
    v) verbose=1 ;;
    n) count=$OPTARG ;;
    o) outdir=$OPTARG ;;
    x) extra=1 ;;
    *) echo "bad option"; exit 2 ;;
  esac
done
echo "OPTIND=$OPTIND"
shift $((OPTIND - 1))
echo "verbose=$verbose count=$count outdir=[$outdir] extra=$extra"
echo "files: $*"
mkdir -p "$outdir"
for f in "$@"; do echo "$count" > "$outdir/$f"; done
ls "$outdir"
