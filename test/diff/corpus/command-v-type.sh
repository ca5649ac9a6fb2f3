#!/bin/bash
# command -v / type / type -t for functions, aliases, builtins, keywords
# defined in earlier commands (no machine-specific paths printed).
shopt -s expand_aliases
alias ll='ls -l'
myfunc() { :; }
command -v ll
command -v myfunc
command -v cd
command -v if
command -v sort > /dev/null && echo "sort is available"
command -v no_such_cmd_xyz || echo "missing: $?"
type -t ll myfunc cd if sort
type ll myfunc
type -a echo | head -n 1
command echo "command bypasses functions"
echo() { builtin echo "wrapped: $*"; }
echo hi
command echo plain
unset -f echo
type -t echo
