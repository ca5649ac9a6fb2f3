#!/bin/bash
# The exact set of exported variable names a child sees (no extra
# variables may leak into the environment), and SHLVL in a child.
export PROJECT=demo
env | cut -d= -f1 | sort
bash -c 'echo "child SHLVL=$SHLVL"'
echo "SHLVL=$SHLVL"
export -p | cut -d= -f1 | sort | tr '\n' ' '; echo
