#!/bin/bash
# $? after assignments with command substitution, and after plain
# assignments; status carried to the next command.
x=$(exit 3)
echo "assign from failing cmdsubst: $?"
y=plain
echo "plain assign: $?"
false
z=1
echo "assign resets: $?"
false
z=$(true)
echo "cmdsubst true: $?"
a=$(false) b=$(exit 6)
echo "two cmdsubsts: $?"
local_test() { local v=$(exit 2); echo "local: $?"; }
local_test
