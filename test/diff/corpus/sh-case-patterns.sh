#!/bin/sh
# POSIX sh: case patterns with globs, alternatives and classes.
classify() {
  case $1 in
    *.csv|*.tsv) echo "$1: table" ;;
    *.[ch]) echo "$1: C source" ;;
    [0-9]*) echo "$1: numeric" ;;
    "") echo "(empty)" ;;
    *) echo "$1: other" ;;
  esac
}
for f in a.csv b.tsv main.c util.h 9lives notes ""; do classify "$f"; done
kind=none
case "report.CSV" in *.csv) kind=lower ;; *.CSV) kind=upper ;; esac
echo "kind=$kind"
