#!/bin/bash
# case with ;; ;& ;;& and patterns, classification carried later.
describe() {
  case $1 in
    *.tar.gz|*.tgz) echo -n "tarball " ;&
    *.gz) echo -n "gzip " ;;&
    *.gz|*.bz2) echo -n "compressed " ;;
    [0-9]*) echo -n "numeric " ;;
    ?) echo -n "single-char " ;;
    *) echo -n "other " ;;
  esac
  echo
}
for f in data.tar.gz log.gz arch.bz2 42x q readme; do printf '%-12s' "$f"; describe "$f"; done
kind=unknown
case "data.csv" in *.csv) kind=table;; *.txt) kind=text;; esac
echo "kind=$kind"
case "A" in [[:upper:]]) echo "upper class";; esac
