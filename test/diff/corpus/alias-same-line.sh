#!/bin/bash
# An alias defined on a line is not expanded on that same line (bash reads
# the whole line first); it is expanded on the following lines.
shopt -s expand_aliases
alias hello='echo aliased-hello'; hello same-line 2>&1 | sed 's/^.*line [0-9]*: //'
hello next-line
alias bye='echo aliased-bye'
if true; then
  alias inner='echo aliased-inner'
  inner 2>/dev/null || echo "inner not yet expanded inside the same compound command"
fi
inner after-compound
