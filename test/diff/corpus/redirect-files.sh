#!/bin/bash
# >, >>, 2>, 2>&1, &>, &>>, <, <> and >| over several commands.
echo "line1" > out.txt
echo "line2" >> out.txt
ls missing_xyz 2> err.txt
sed 's/^ls: //' err.txt
{ echo stdout; echo stderr >&2; } > combined.txt 2>&1
{ echo again; ls missing_xyz; } &> all.txt
echo "more" &>> all.txt
wc -l < all.txt
sort < out.txt > sorted.txt
cat sorted.txt
exec 5<> rw.txt
echo "written via 5" >&5
exec 5>&-
cat rw.txt
: > truncated.txt
ls -1
