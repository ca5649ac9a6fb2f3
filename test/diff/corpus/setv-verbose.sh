#!/bin/bash
# set -v echoes each line of the script as it is read (to stderr), exactly
# as written (comments and continuation lines included).
x=1
set -v
echo "x=$x"   # trailing comment
if [ $x -eq 1 ]; then
  echo "multi-line compound"
fi
cat <<EOF
heredoc $x
EOF
echo one \
  two
set +v
echo "quiet"
