#!/bin/sh
# POSIX sh: cd carried over; relative paths resolved in later commands.
mkdir -p data/in data/out
cd data/in
echo "1 2 3" > numbers.txt
cd ../out
cp ../in/numbers.txt copy.txt
echo "in ${PWD##*/}"
cd ..
ls out
cd -
cd "$OLDPWD"
echo "back in ${PWD##*/}"
