#!/bin/bash
# ERR trap and functions: without set -E not inherited; with set -E it is.
trap 'echo "ERR trap (${FUNCNAME[0]:-main}) rc=$?"' ERR
inner() { false; echo "inner continues"; }
inner
set -E
inner
set -eE
trap 'echo "fatal in ${FUNCNAME[0]:-main} at $LINENO"' ERR
inner
echo "not reached"
