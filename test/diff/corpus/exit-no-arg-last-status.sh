#!/bin/bash
# exit without argument uses the status of the last command.
echo "start"
grep -q needle /dev/null
rc=$?
echo "rc=$rc"
ls no_such_file 2>/dev/null
exit
echo "not reached"
