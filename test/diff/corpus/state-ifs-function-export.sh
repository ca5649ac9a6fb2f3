#!/bin/bash
# Functions using globals defined AFTER the function, called even later.
report() { echo "[$PREFIX] ${#ITEMS[@]} items: ${ITEMS[*]}"; }
PREFIX=batch1
ITEMS=(a b)
report
ITEMS+=(c)
PREFIX=batch2
report
reset_items() { ITEMS=(); PREFIX=reset; }
reset_items
report
