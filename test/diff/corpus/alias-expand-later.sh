#!/bin/bash
# Aliases defined in one command are expanded in later commands.
shopt -s expand_aliases
alias ll='ls -1'
alias say='echo [say]'
alias count='wc -l <'
touch b.txt a.txt
ll
say hello world
printf '1\n2\n3\n' > n.txt
count n.txt
alias
alias say
