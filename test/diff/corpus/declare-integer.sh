#!/bin/bash
# declare -i: later assignments are evaluated arithmetically.
declare -i total=0
total=5+3
echo "total=$total"
total+=10
echo "total=$total"
n=4
total=n*2
echo "total=$total"
total="hello"
echo "non-numeric -> $total"
declare -i big=2**20
echo "big=$big"
declare +i total
total=5+3
echo "after +i: $total"
declare -p big total
