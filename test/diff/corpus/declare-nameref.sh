#!/bin/bash
# declare -n namerefs defined in one command, used and retargeted later.
alpha=1
beta=2
declare -n ref=alpha
echo "ref=$ref"
ref=100
echo "alpha=$alpha"
declare -n ref=beta
echo "ref now=$ref"
ref+=5
echo "beta=$beta"
arr=(x y)
declare -n aref=arr
aref+=(z)
echo "${arr[*]} ${#aref[@]}"
declare -p ref aref
unset -n ref
echo "ref plain now: ${ref:-empty} beta=$beta"
