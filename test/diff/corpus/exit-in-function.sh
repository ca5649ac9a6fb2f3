#!/bin/bash
# exit inside a function called from a later command ends the whole script.
die() { echo "fatal: $*" >&2; exit "${2:-1}"; }
check_input() { [ -f "$1" ] || die "missing $1" 7; echo "have $1"; }
touch present.txt
check_input present.txt
echo "between"
check_input absent.txt
echo "not reached"
