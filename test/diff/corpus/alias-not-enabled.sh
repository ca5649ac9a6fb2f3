#!/bin/bash
# Without expand_aliases a script does not expand aliases; enabling it in
# one command takes effect for later commands only.
alias hi='echo alias-hi'
hi
echo "status=$?"
shopt expand_aliases
shopt -s expand_aliases
hi
shopt -u expand_aliases
hi
echo "end"
