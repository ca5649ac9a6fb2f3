#!/bin/bash
# set -u error inside a function called from a later command.
set -u
load() {
  local name=$1
  echo "loading $name"
  echo "size: $size_of_thing"
  echo "never"
}
trap 'echo "exit trap status $?"' EXIT
load data.csv
echo "not reached"
