#!/bin/bash
# ${!name}, ${!prefix*}, ${!arr[@]} across commands.
cfg_alpha=1
cfg_beta=two
cfg_gamma="three 3"
which=cfg_beta
echo "${!which}"
for v in ${!cfg_*}; do echo "$v=${!v}"; done
echo "${!cfg_@}"
arr=(x y z)
echo "${!arr[@]}"
ref='arr[1]'
echo "${!ref}"
declare -A m=([k1]=v1 [k2]=v2)
for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k:${m[$k]}"; done
which=cfg_gamma
echo "now ${!which}"
