#!/bin/bash
# $? from the previous top-level command.
false
echo "after false: $?"
true
echo "after true: $?"
grep -q pattern /dev/null
echo "grep: $?"
ls /nonexistent_dir_xyz 2>/dev/null
echo "ls: $?"
(exit 42)
echo "subshell: $?"
echo "echo itself: $?"
x=$?
echo "x=$x"
:
[ "$?" -eq 0 ] && echo "colon ok"
