#!/bin/bash
# Aliases are expanded when a function is defined (in an earlier command),
# not when it is called; an alias ending in a space expands the next word.
shopt -s expand_aliases
alias tag='echo [v1]'
show() { tag "$@"; }
alias tag='echo [v2]'
show call1
tag direct
alias sudo_='env ' quiet='echo quiet:'
sudo_ quiet word
alias run='quiet'
run now
