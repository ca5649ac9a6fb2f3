#!/bin/bash
# exit statuses are taken modulo 256; return/exit with odd values.
( exit 256 ); echo "256 -> $?"
( exit 257 ); echo "257 -> $?"
( exit -1 ); echo "-1 -> $?"
f() { return 511; }
f; echo "return 511 -> $?"
bash -c 'exit 1000'; echo "child 1000 -> $?"
exit 300
