#!/bin/sh
# POSIX sh: variables set in one command are used in later ones.
name=experiment
count=3
label="$name-$count"
printf '%s\n' "$label"
count=$((count + 1))
printf 'count=%s\n' "$count"
list="a b c"
for x in $list; do last=$x; done
printf 'last=%s\n' "$last"
empty=
printf '[%s] [%s]\n' "${empty:-dflt}" "${unset_var-none}"
: "${later:=assigned}"
printf 'later=%s\n' "$later"
