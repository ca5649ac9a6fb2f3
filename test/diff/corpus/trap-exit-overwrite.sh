#!/bin/bash
# EXIT trap built up over several commands (append pattern) and exit inside
# a function.
add_exit() { local old; old=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT\$/\1/"); trap "${old:+$old; }$1" EXIT; }
add_exit 'echo one'
add_exit 'echo two'
trap -p EXIT
add_exit 'echo "three: code $?"'
finish() { echo "finishing"; exit 6; }
finish
echo "not reached"
