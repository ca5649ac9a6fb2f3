#!/bin/bash
# $PWD, pwd, and a script-set PWD-derived variable in later commands.
base=$PWD
mkdir -p work/sub
cd work/sub
echo "relative: ${PWD#$base}"
[ "$(pwd)" = "$PWD" ] && echo "pwd matches PWD"
here=$PWD
cd ..
echo "up: ${PWD#$base}"
echo "saved here: ${here#$base}"
cd "$here"
touch marker
cd "$base"
ls work/sub
cd work
echo "PWD exported to child: $(bash -c 'echo ${PWD#'"$base"'}')"
