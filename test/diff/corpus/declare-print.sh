#!/bin/bash
# declare -p output for many kinds of variables after several commands.
s="with \"quotes\" and \$dollar"
declare -i i=42
declare -a a=(1 "two words" '$3')
declare -A h=([only]=one)
declare -rx RX=const
declare -l low=ABC
declare -p s i a h RX low
declare -p nonexistent
echo "status $?"
declare -g gvar=g
f() { declare -g fromfunc=set_in_f; local loc=l; declare -p loc; }
f
declare -p fromfunc gvar
