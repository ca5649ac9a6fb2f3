#!/bin/bash
# unset -f removes a function in a later command; a variable of the same
# name is unaffected; calling the removed function is an error.
prep() { echo "prep $1"; }
prep=variable
prep one
unset -f prep
echo "var survives: $prep"
prep two
echo "status=$?"
declare -F prep || echo "no function prep"
