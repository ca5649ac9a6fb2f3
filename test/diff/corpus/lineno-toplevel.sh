#!/bin/bash
# $LINENO in top-level commands, multi-line commands and here-documents.
echo "line $LINENO"
x=1

echo "line $LINENO"
if true; then
  echo "in if: $LINENO"
fi
cat <<EOF
heredoc line $LINENO
EOF
for i in 1 2; do
  echo "loop $i at $LINENO"
done
echo "a" \
  "continued $LINENO"
echo "end $LINENO"
