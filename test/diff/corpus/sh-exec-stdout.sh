#!/bin/sh
# POSIX sh: exec >file redirects later commands' output; restored from a
# saved descriptor.
echo "to terminal"
exec 5>&1 > out.log
echo "to log 1"
ls
echo "to log 2"
exec 1>&5 5>&-
echo "restored"
cat out.log
