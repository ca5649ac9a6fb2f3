#!/bin/bash
# EXIT trap defined in a function in one command, fired by a set -e
# failure in a later command.
setup() { trap 'rc=$?; echo "trap: rc=$rc log=$(cat log.txt | tr "\n" " ")"' EXIT; }
setup
set -e
echo "a" >> log.txt
echo "b" >> log.txt
test -d no_such_dir
echo "c" >> log.txt
