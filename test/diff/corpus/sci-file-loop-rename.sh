#!/bin/bash
# Loop over files, build new names with parameter expansion, check results.
mkdir -p raw
for i in 1 2 3 10; do printf 'ACGT%.0s' $(seq 1 $i) > "raw/Sample $i.FASTA"; done
ls raw
mkdir -p clean
for f in raw/*.FASTA; do
  base=${f##*/}
  base=${base%.FASTA}
  num=${base##* }
  new=$(printf 'sample_%03d.fa' "$num")
  cp "$f" "clean/$new"
done
ls clean
for f in clean/*.fa; do printf '%s %s\n' "${f##*/}" "$(wc -c < "$f")"; done
missing=0
for n in 1 2 3 4; do [ -e "$(printf 'clean/sample_%03d.fa' $n)" ] || missing=$((missing+1)); done
echo "missing=$missing"
