#!/bin/bash
# enable -n disables a builtin for later commands; type reflects it.
type -t test
enable -n test
type -t test
test 1 -eq 1 && echo "external test works"
enable test
type -t test
enable -n echo
type -t echo
enable -a | grep -c 'enable -n'
enable echo
echo "builtin echo back"
