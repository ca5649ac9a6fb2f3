#!/bin/bash
# cd in one command; relative paths in later commands resolve from there.
mkdir -p project/raw project/processed
cd project
echo "id,val" > raw/input.csv
echo "1,10" >> raw/input.csv
cd raw
cp input.csv ../processed/copy.csv
cd ..
ls processed
echo "in: ${PWD##*/}"
cd processed && wc -l < copy.csv
cd ../..
find . -type f | sort
