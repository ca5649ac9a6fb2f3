#!/bin/bash
# RETURN trap inside a function, and a DEBUG trap counting commands.
f() { trap 'echo "returning from f"' RETURN; echo "in f"; }
f
echo "after f"
n=0
trap '((n++))' DEBUG
a=1
b=2
c=3
trap - DEBUG
echo "debug count: $n"
