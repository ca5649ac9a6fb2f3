#!/bin/bash
# pushd/popd/dirs stack carried across commands (paths shown relative to
# the start directory to stay machine independent).
start=$PWD
rel() { local d; for d in "${DIRSTACK[@]}"; do printf '%s ' "${d/#$start/.}"; done; echo; }
mkdir -p one/two three
pushd one > /dev/null
pushd two > /dev/null
rel
pushd "$start/three" > /dev/null
rel
echo "depth ${#DIRSTACK[@]}"
popd > /dev/null
echo "now ${PWD/#$start/.}"
pushd +1 > /dev/null
rel
dirs -c
rel
popd 2>&1
echo "popd on empty: $?"
