#!/bin/bash
# args: --mode fast
# One script touching every kind of carried state, checked at the end.
shopt -s expand_aliases nullglob
alias cnt='ls | wc -l'
declare -A meta=([mode]=$2)
declare -i runs=0
readonly TAG=v1
export EXPORTED=yes
list=(x y)
f() { runs+=1; list+=("$1"); }
set -- rewritten args
umask 027
mkdir sub && cd sub
trap 'echo "EXIT: runs=$runs list=${list[*]} cwd=${PWD##*/} args=$*"' EXIT
f one
f two
false
echo "status=$? mode=${meta[mode]} tag=$TAG"
bash -c 'echo "child exported=$EXPORTED"'
touch f1 f2
cnt
echo no_match_* | wc -w
umask
