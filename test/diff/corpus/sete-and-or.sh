#!/bin/bash
# set -e is ignored for commands in && / || lists except the last.
set -e
false && echo "not printed"
echo "after false && ...: $?"
false || echo "or branch ran"
true && false || echo "recovered"
[ -f nofile ] && echo "exists"
echo "still running"
f() { false; echo "f continues after false (in && context)"; }
f && echo "f ok"
echo "before the end"
true && false
echo "not reached"
