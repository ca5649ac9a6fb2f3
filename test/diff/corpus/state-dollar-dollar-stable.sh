#!/bin/bash
# $$ is the same in every command of the script and in its subshells
# (the value itself is never printed).
first=$$
echo "$$" > pid.txt
[ "$$" = "$first" ] && echo "same in later command"
[ "$(cat pid.txt)" = "$$" ] && echo "same as saved"
sub=$( echo $$ )
[ "$sub" = "$$" ] && echo "same in command substitution"
( [ "$$" = "$first" ] && echo "same in subshell" )
[ "$BASHPID" = "$$" ] && echo "BASHPID equals \$\$ at top level"
( [ "$BASHPID" != "$$" ] && echo "BASHPID differs in subshell" )
rm pid.txt
