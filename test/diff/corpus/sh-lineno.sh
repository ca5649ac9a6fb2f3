#!/bin/sh
# dash: $LINENO at top level, in functions and in multi-line commands
# (Debian's dash leaves it empty in scripts: cairn must not fill it in).
echo "line $LINENO"
f() {
  echo "in f: $LINENO"
}
f
if true; then
  echo "in if: $LINENO"
fi

echo "after blank: $LINENO"
