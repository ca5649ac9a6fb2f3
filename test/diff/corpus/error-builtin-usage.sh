#!/bin/bash
# Builtin usage errors carry the script name, line and builtin name.
declare -i x=1
shift 1 2
echo "shift: $?"
read -q
echo "read: $?"
set -o no_such_option
echo "set: $?"
shopt -s no_such_shopt
echo "shopt: $?"
local y=1
echo "local outside function: $?"
return 3
echo "return outside function: $?"
export 1abc=2
echo "export: $?"
echo "end"
