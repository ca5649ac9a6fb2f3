#!/bin/bash
# cd through a symlink: logical $PWD vs physical pwd -P, cd -P, cd ..
mkdir -p real/inner
ln -s real/inner link
base=$PWD
cd link
echo "logical: ${PWD#$base/}"
echo "physical: $(pwd -P | sed "s|^$(cd "$base" && pwd -P)/||")"
cd ..
echo "after cd ..: ${PWD#$base}"
cd -P link
echo "cd -P: ${PWD#$base/}"
cd "$base"
set -P
cd link
echo "set -P: ${PWD#$base/}"
