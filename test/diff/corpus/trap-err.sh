#!/bin/bash
# ERR trap set in one command fires for failures in later commands (not in
# conditions), with $LINENO of the failure.
trap 'echo "ERR at line $LINENO: status $?"' ERR
echo start
false
grep -q x /dev/null
if false; then :; fi
false || true
ls missing_file 2>/dev/null
f() { return 4; }
f
echo "end"
trap - ERR
false
echo "no trap now"
