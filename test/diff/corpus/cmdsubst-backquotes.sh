#!/bin/bash
# Backquote command substitution, escaping inside backquotes.
n=`echo 5`
echo "n=$n"
double=`expr $n \* 2`
echo "double=$double"
path=`echo "a b" | tr ' ' '/'`
echo "$path"
inner=`echo \`echo nested\``
echo "inner=$inner"
dollar=`echo '$n'`
echo "dollar=$dollar"
today_free=`printf '%s-%s' run $n`
echo "$today_free"
echo "`echo quoted backquote in dq`"
lines=`printf 'a\nb\n' | wc -l`
echo "lines=$lines"
