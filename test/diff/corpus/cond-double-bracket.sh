#!/bin/bash
# [[ ]] tests: patterns, string/number comparison, -f/-d, && || inside.
file="results_2024.csv"
touch "$file"
mkdir -p outdir
[[ $file == *.csv ]] && echo "csv file"
[[ $file == "*.csv" ]] || echo "quoted pattern is literal"
[[ -f $file && -d outdir ]] && echo "both exist"
[[ ! -e missing.txt ]] && echo "missing absent"
a=10 b=9
[[ $a -gt $b ]] && echo "numeric gt"
[[ $a > $b ]] || echo "string compare: 10 < 9"
[[ -z $unset_var && -n $a ]] && echo "z and n"
[[ abc < abd ]]; echo "lt status $?"
pat='res*'
[[ $file == $pat ]] && echo "pattern from variable"
[[ ( $a == 10 || $b == 0 ) && $file != x ]]; echo "grouped status $?"
[[ $file == @(results|data)_+([0-9]).csv ]] && echo "extglob in [[ ]]"
