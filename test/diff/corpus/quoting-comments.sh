#!/bin/bash
# Comments: full-line, trailing, # inside words and quotes.
count=3 # trailing comment
# a comment line with 'quotes" and $(stuff) that must not run
echo "count=$count" # another
echo not#a#comment '# not a comment' "# nor this"
echo ${count}#also-not
url="http://example.org/#anchor"  # comment
echo "$url"
: 'a colon command
spanning lines # with hash'
echo after-colon $?
arr=(one # comment inside array
 two)
echo "${arr[@]} ${#arr[@]}"
