#!/bin/sh
# POSIX sh: $? of the previous top-level command.
false
echo "false: $?"
grep -q nope /dev/null
echo "grep: $?"
(exit 13)
echo "subshell: $?"
! false
echo "negated: $?"
f() { return 5; }
f
echo "function: $?"
x=$(exit 2)
echo "cmdsubst assignment: $?"
