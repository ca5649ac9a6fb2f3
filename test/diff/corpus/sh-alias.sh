#!/bin/sh
# dash expands aliases in scripts: defined in one command, used later.
alias greet='echo hello'
greet world
alias ls1='ls -1'
touch b a
ls1
unalias greet
greet again 2>/dev/null || echo "greet removed"
alias
