#!/bin/bash
# shopt -s nullglob in one command changes glob results in later ones.
mkdir -p in
touch in/x.csv in/y.csv
for f in in/*.tsv; do echo "without nullglob: $f"; done
shopt -s nullglob
for f in in/*.tsv; do echo "never: $f"; done
tsv=(in/*.tsv)
csv=(in/*.csv)
echo "tsv=${#tsv[@]} csv=${#csv[@]}"
echo "args:" in/*.none "end"
shopt nullglob
shopt -u nullglob
echo in/*.none
shopt -s failglob
echo in/*.none
echo "after failglob: $?"
