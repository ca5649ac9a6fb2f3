#!/bin/bash
# args: -a -z -b
# getopts with an invalid option and a missing argument, loud and silent.
while getopts "ab:" opt; do
  echo "opt=$opt OPTARG=${OPTARG-unset} OPTIND=$OPTIND"
done
echo "end OPTIND=$OPTIND"
OPTIND=1
while getopts ":ab:" opt; do
  case $opt in
    \?) echo "silent invalid: -$OPTARG" ;;
    :) echo "silent missing arg for -$OPTARG" ;;
    *) echo "ok -$opt" ;;
  esac
done
OPTIND=1
set -- -b val -- rest
while getopts "ab:" o; do echo "$o=$OPTARG"; done
shift $((OPTIND-1)); echo "rest: $*"
