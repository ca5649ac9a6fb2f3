#!/bin/sh
# dash: command -v and type for functions, aliases and builtins defined
# in earlier commands.
myfn() { :; }
alias myal='echo x'
command -v myfn
command -v myal
command -v cd
command -v nosuchcmd_q || echo "missing: $?"
type myfn
type cd
command -v sort > /dev/null && echo "sort available"
