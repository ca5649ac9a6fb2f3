#!/bin/bash
# set -e does not trigger in if/elif conditions, even inside functions.
set -e
check() { false; echo "check body continues"; return 1; }
if check; then echo "check ok"; else echo "check failed"; fi
if false; then echo no; elif grep -q x /dev/null; then echo no; else echo "else branch"; fi
result=0
if ! check; then result=1; fi
echo "result=$result"
check
echo "not reached"
