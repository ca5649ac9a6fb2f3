#!/bin/bash
# exec CMD replaces the shell: later lines do not run and the EXIT trap
# does not fire; the status is the command's.
trap 'echo "EXIT trap (must not print)"' EXIT
echo "before exec"
prefix="replaced shell says"
exec bash -c 'echo "$0 hi"; exit 5' "$prefix"
echo "not reached"
