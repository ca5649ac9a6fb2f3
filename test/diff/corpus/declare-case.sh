#!/bin/bash
# declare -l / -u: case conversion applied on every later assignment.
declare -l lower
declare -u upper
lower="MiXeD Case"
upper="MiXeD Case"
echo "$lower | $upper"
lower+=" MORE"
upper+=" more"
echo "$lower | $upper"
for g in Brca1 TP53 egfr; do upper=$g; echo "gene $upper"; done
declare -p lower upper
declare -l -a tags=(ONE Two)
tags+=(THREE)
echo "${tags[*]}"
