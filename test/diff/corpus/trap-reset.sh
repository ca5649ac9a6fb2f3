#!/bin/bash
# trap - EXIT in a later command removes the trap; a new one replaces it.
trap 'echo first trap' EXIT
echo "set first"
trap - EXIT
echo "removed"
trap 'echo second trap' EXIT
trap 'echo third trap; echo "x=$x"' EXIT
x=final
echo "end of script"
