#!/bin/bash
# $BASH_COMMAND and $LINENO inside an ERR trap set in an earlier command.
trap 'echo "failed: [$BASH_COMMAND] at line $LINENO with $?"' ERR
x=5
[ "$x" -gt 10 ]
grep -q "pattern" /dev/null
ls nothing_here 2>/dev/null
f() {
  local v
  v=$(false)
}
f
echo "end"
