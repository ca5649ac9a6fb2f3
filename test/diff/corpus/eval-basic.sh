#!/bin/bash
# eval builds variables, functions and arrays that later commands use.
for i in 1 2 3; do eval "var_$i=\$((i * i))"; done
echo "$var_1 $var_2 $var_3"
eval 'make_getter() { echo "getter for $1"; }'
make_getter thing
spec="name=alpha count=3"
eval "$spec"
echo "name=$name count=$count"
cmd='echo "quoted arg: $name"'
eval "$cmd"
eval "arr=(x y 'z w')"
echo "${#arr[@]} ${arr[2]}"
eval "exit_code() { return $count; }"
exit_code
echo "status $?"
eval 'cd_target=$PWD; mkdir -p evaldir; cd evaldir'
echo "now in ${PWD##*/}"
