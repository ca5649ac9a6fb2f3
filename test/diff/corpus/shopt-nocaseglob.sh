#!/bin/bash
# nocaseglob and nocasematch set in one command, used later.
touch Data.CSV notes.csv README.md
echo *.csv
shopt -s nocaseglob
echo *.csv
shopt -s nocasematch
[[ ABC == abc ]] && echo "nocasematch [[ ]]"
case HELLO in hello) echo "nocasematch case";; esac
[[ XyZ =~ ^xyz$ ]] && echo "nocasematch =~"
shopt -u nocasematch nocaseglob
[[ ABC == abc ]] || echo "case-sensitive again"
echo *.csv
