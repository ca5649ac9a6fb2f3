#!/bin/bash
# Alias redefinition and unalias in later commands.
shopt -s expand_aliases
alias greet='echo hi'
greet there
alias greet='echo hello'
greet there
unalias greet
greet there 2>/dev/null || echo "greet gone: $?"
alias a1='echo one' a2='echo two'
a1; a2
unalias -a
alias | wc -l
alias a1 2>&1
