#!/bin/bash
# Case modification ${x^} ${x^^} ${x,} ${x,,} and with patterns.
species="homo sapiens"
echo "${species^}"
echo "${species^^}"
GENE="BRCA1"
echo "${GENE,,}"
echo "${GENE,}"
echo "${species^^[aeiou]}"
names=(alice bob carol)
echo "${names[@]^}"
upper=${species^^}
echo "${upper,,[HS]}"
echo "${upper~}" "${species~~}"
