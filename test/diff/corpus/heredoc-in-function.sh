#!/bin/bash
# Here-documents inside function bodies; functions called in later commands.
usage() {
  cat <<EOF
usage: $1 [-n N] FILE
  -n N   number of lines
EOF
}
report() {
  local title=$1; shift
  cat <<EOF
== $title ==
items: $#
first: ${1:-none}
EOF
}
usage analyze
report "Batch A" x y z
report "Empty"
usage "${0##*/}" | head -n 1
