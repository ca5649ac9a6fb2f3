#!/bin/bash
# =~ sets BASH_REMATCH; it is used in LATER top-level commands.
line="sample_042_rep3.fastq"
[[ $line =~ ^sample_([0-9]+)_rep([0-9]+)\.(fastq|fq)$ ]]
echo "status=$?"
echo "whole=${BASH_REMATCH[0]}"
echo "id=${BASH_REMATCH[1]} rep=${BASH_REMATCH[2]} ext=${BASH_REMATCH[3]}"
echo "count=${#BASH_REMATCH[@]}"
id=$((10#${BASH_REMATCH[1]}))
echo "numeric id=$id"
[[ "nomatch" =~ ^x ]]
echo "after failed match: ${#BASH_REMATCH[@]} status=$?"
[[ "key = value" =~ ([a-z]+)\ *=\ *(.*) ]] && echo "kv: ${BASH_REMATCH[1]}"
echo "later: ${BASH_REMATCH[2]}"
declare -p BASH_REMATCH
