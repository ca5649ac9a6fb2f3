#!/bin/sh
# POSIX sh: umask and cd - carried over.
umask 077
mkdir private
touch private/f
umask
stat -c '%a %n' private private/f
mkdir -p one two
cd one
cd ../two
cd - > /dev/null
echo "now in ${PWD##*/}"
umask 022
touch shared
stat -c '%a' shared
