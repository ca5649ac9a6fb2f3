#!/bin/bash
# exec >file without restoring: everything after it (including an EXIT
# trap and error messages after exec 2>&1) goes to the file.
trap 'echo "exit trap output"' EXIT
echo "visible"
exec > rest.log 2>&1
echo "hidden 1"
no_such_command_here
echo "hidden 2"
