#!/bin/sh
# dash's echo interprets backslash escapes (unlike bash's): the script must
# really run under sh.
msg='col1\tcol2'
echo "$msg"
echo 'line1\nline2'
echo "no newline\c"
echo " <- continued"
printf '%s\n' "$msg"
echo -n "echo -n works in dash: "
echo done
