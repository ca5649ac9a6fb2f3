#!/bin/bash
# exec 3>file in one command; later commands write to fd 3; the file offset
# advances across commands; exec 3>&- closes it.
exec 3> progress.log
echo "start" >&3
for step in load filter save; do
  echo "step $step" >&3
done
echo "stdout still works"
printf 'count=%d\n' 3 >&3
exec 3>&-
cat progress.log
echo "after close" >&3
echo "status $?"
exec 4>> progress.log
echo "appended via 4" >&4
exec 4>&-
tail -n 1 progress.log
