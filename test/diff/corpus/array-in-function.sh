#!/bin/bash
# Arrays passed to and modified by functions via namerefs and globals.
add_item() { local -n _list=$1; _list+=("$2"); }
sum_arr() { local -n _a=$1; local s=0 x; for x in "${_a[@]}"; do ((s += x)); done; echo "$s"; }
fill() { local tmp=(7 8 9); result=("${tmp[@]}"); }
data=(1 2)
add_item data 3
add_item data 4
echo "data: ${data[*]}"
echo "sum: $(sum_arr data)"
fill
echo "result: ${result[*]} tmp: ${tmp[*]-unset}"
declare -A conf
set_conf() { local -n _c=$1; _c[$2]=$3; }
set_conf conf threads 8
set_conf conf mode fast
echo "${conf[threads]} ${conf[mode]}"
