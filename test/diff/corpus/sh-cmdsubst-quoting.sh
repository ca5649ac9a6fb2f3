#!/bin/sh
# POSIX sh: command substitution, backquotes and quoting.
d="my dir"
mkdir "$d"
touch "$d/a b.txt"
n=$(ls "$d" | wc -l)
echo "n=$n"
first=`ls "$d" | head -n 1`
echo "first=[$first]"
echo "nested: $(echo "$(echo inner)")"
printf '%s\n' 'single $quoted' "double \$escaped" \\backslash
