#!/bin/bash
# read variants (-r, -a, -d, -n, IFS, backslashes) from here-docs/strings;
# the variables are used in later commands.
read name age <<< "alice 30"
read -r raw <<< 'back\slash kept'
read cooked <<< 'back\slash eaten'
read -a nums <<< "5 10 15"
read -n 3 prefix <<< "abcdef"
read -d , field <<< "first,second"
IFS=';' read -r c1 c2 rest <<< "x;y;z;w"
echo "name=$name age=$age"
echo "raw=$raw cooked=$cooked"
echo "nums=${nums[*]} sum=$(( nums[0] + nums[1] + nums[2] ))"
echo "prefix=$prefix field=$field"
echo "c1=$c1 c2=$c2 rest=$rest"
read -r only <<EOF
line one
line two
EOF
echo "only=$only"
read -r nothing < /dev/null
echo "read at EOF: $? [${nothing}]"
read
echo "REPLY=[$REPLY] status $?"
