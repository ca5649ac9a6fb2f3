#!/bin/bash
# A resource limit lowered in one command applies to later commands and
# children.
ulimit -S -n 64
echo "soft nofile: $(ulimit -S -n)"
bash -c 'echo "child soft nofile: $(ulimit -S -n)"'
ulimit -S -c 0
echo "core: $(ulimit -S -c)"
ulimit -S -n 48
echo "lowered again: $(ulimit -S -n)"
