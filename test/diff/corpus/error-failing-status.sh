#!/bin/bash
# Failing commands: their statuses and messages, checked in later commands.
mkdir data
mkdir data
echo "mkdir again: $?"
cp data/none.txt here.txt
rc=$?
echo "cp rc=$rc"
[ $rc -ne 0 ] && echo "copy failed, continuing"
grep -c x /dev/null
echo "grep count status: $?"
sort --no-such-option 2>/dev/null
echo "sort bad option: $?"
cat data
echo "cat dir: $?"
