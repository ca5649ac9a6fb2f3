#!/bin/bash
# Single and double quotes; values set in one command are used in later ones.
sample='run 01: "control" $HOME `x`'
label="sample=[$sample]"
echo "$label"
echo '$label stays literal' "but this expands: ${#sample}"
name="O'Brien"; greeting="Hello, $name"
echo "$greeting" 'it'"'"'s' "mixed "'quotes'
empty=""
printf '<%s>\n' "$empty" $empty "a  b" a  b
msg="tab:	end"
echo "$msg" | cut -f2
