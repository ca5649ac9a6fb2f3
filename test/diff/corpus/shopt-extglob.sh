#!/bin/bash
# shopt -s extglob in one command; extended patterns used in later commands
# (from variables in words and case, literally in ${ } and [[ ]], which
# bash -n accepts without extglob).
shopt -s extglob
touch run1.log run2.log run10.log notes.txt data.csv data.tsv
not_logs='!(*.log)'
echo $not_logs
numbered='run+([0-9]).log'
echo $numbered
tables='data.@(csv|tsv)'
echo $tables
name="  padded  "
trimmed=${name##*( )}
trimmed=${trimmed%%*( )}
echo "[$trimmed]"
echo "${numbered//+([a-z])/X}"
[[ notes.txt == !(*.log) ]] && echo "notes is not a log"
case data.tsv in $tables) echo "table file (case)";; esac
rm $not_logs
ls
shopt -u extglob
echo $tables
