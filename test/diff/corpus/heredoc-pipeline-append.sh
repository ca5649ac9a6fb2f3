#!/bin/bash
# A here-document in a pipeline and one followed by more commands.
n=2
cat <<EOF | sort -r
b $n
a $n
c $n
EOF
echo "n still $n"
grep -n x <<EOF
no
x marks
EOF
echo "grep status $?"
cat <<EOF >> log.txt
entry $n
EOF
n=$((n+1))
cat <<EOF >> log.txt
entry $n
EOF
cat log.txt
