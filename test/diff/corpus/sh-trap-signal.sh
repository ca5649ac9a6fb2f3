#!/bin/sh
# dash: a signal trap set in one command fires on a later kill of $$.
count=0
trap 'count=$((count + 1)); echo "HUP trap $count"' HUP
kill -HUP $$
kill -HUP $$
echo "count=$count"
trap 'echo "TERM: leaving"; exit 7' TERM
kill -TERM $$
echo "not reached"
