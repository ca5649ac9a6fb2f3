#!/bin/bash
# exec >file redirects the output of all later commands; the original
# stdout is saved in fd 6 and restored at the end.
echo "before redirect"
exec 6>&1
exec > captured.txt
echo "captured line 1"
ls -1
echo "captured line 3"
exec 1>&6 6>&-
echo "restored; captured has $(wc -l < captured.txt) lines:"
cat captured.txt
exec 2> errors.txt
ls missing_file_q
echo "stderr went to file: $(sed 's/^ls: //' errors.txt)"
