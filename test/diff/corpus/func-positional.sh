#!/bin/bash
# args: first "second arg" third
# Function arguments shadow script arguments only during the call.
echo "script: $# [$1] [$2]"
show() { echo "func: $# [$1] [$2] all=[$*]"; }
show x "y z"
echo "script again: $# [$2]"
shift_in_func() { shift; echo "func after shift: $1"; }
shift_in_func p q
echo "script unaffected: $1"
count_args() { echo $#; }
count_args "$@"
count_args $@
set_in_func() { set -- reset; echo "func set: $1"; }
set_in_func
echo "script still: $1 $3"
