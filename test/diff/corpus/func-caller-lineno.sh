#!/bin/bash
# LINENO, FUNCNAME, BASH_LINENO and caller in functions called from
# different top-level lines.
where() { echo "where: $LINENO ${FUNCNAME[0]} called from line ${BASH_LINENO[0]}"; }
trace() { caller 0; }
echo "top line $LINENO"
where
nested() { where; trace; }
nested
echo "top line $LINENO"

where
echo "FUNCNAME at top: ${#FUNCNAME[@]}"
