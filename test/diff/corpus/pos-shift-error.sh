#!/bin/bash
# args: x y
# shift N larger than $# fails without changing the parameters.
shift 3
echo "shift 3 status: $?"
echo "still: $# $1 $2"
shift 2
echo "shift 2 status: $? n=$#"
shift -1
echo "negative status: $?"
shift abc
echo "bad arg status: $?"
