#!/bin/bash
# A subshell's own EXIT trap fires when the subshell ends; the script's EXIT
# trap is not inherited by subshells and fires only at the very end.
trap 'echo "main exit trap"' EXIT
( trap 'echo "subshell exit trap"' EXIT; echo "in subshell" )
echo "after subshell"
( echo "subshell without trap"; exit 2 )
echo "sub status $?"
v=$(trap 'echo from-cmdsubst-trap' EXIT; echo value)
echo "v=[$v]"
trap
