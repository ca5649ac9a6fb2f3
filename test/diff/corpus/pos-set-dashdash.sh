#!/bin/bash
# set -- in one command, the new positional parameters used in later ones.
echo "initial: $#"
set -- alpha "beta gamma" delta
echo "n=$#"
for a in "$@"; do echo "arg: $a"; done
set -- "$@" epsilon
echo "n=$# last=${@: -1}"
set -- $(echo one two three)
echo "from cmd: $2"
set --
echo "cleared: $#"
set -- -x --weird
echo "dash args: $1 $2"
