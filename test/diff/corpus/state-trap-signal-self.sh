#!/bin/bash
# A signal trap set in one command runs when the script signals itself in
# a later command; an ignored signal stays ignored.
hits=0
trap 'hits=$((hits + 1)); echo "got USR1 ($hits)"' USR1
kill -USR1 $$
echo "after first kill: hits=$hits"
kill -s USR1 $$
echo "hits=$hits"
trap '' USR2
kill -USR2 $$
echo "USR2 ignored"
trap 'echo "TERM trap, exiting"; exit 9' TERM
kill -TERM $$
echo "not reached"
