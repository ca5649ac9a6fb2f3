#!/bin/bash
# Bad substitutions: most abort only the current command (the script goes
# on, rest of the line is skipped); an invalid @ operator ends the script.
name=value
echo "ok: ${name}"
echo "bad: ${name:}" ; echo "rest of this line is skipped"
echo "status: $?"
for v in a b; do echo "in loop ${v!}"; done
echo "after loop: $?"
bad_sub() { echo "in function: ${name:0:-10}"; echo "function goes on"; }
bad_sub
echo "after function: $?"
x="${1abc}"
echo "x=[${x-unset}] $?"
echo "transform: ${name@Z}"
echo "not reached"
