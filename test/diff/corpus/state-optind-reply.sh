#!/bin/bash
# args: -a -b
# Special variables set by builtins (OPTIND, OPTARG, REPLY, PIPESTATUS)
# persist to later commands.
getopts ab o
echo "o=$o OPTIND=$OPTIND"
getopts ab o
echo "o=$o OPTIND=$OPTIND"
getopts ab o
echo "status=$? o=$o OPTIND=$OPTIND"
read <<< "reply value"
echo "REPLY=$REPLY"
true | false | true
echo "PIPESTATUS=${PIPESTATUS[*]}"
select x in a; do break; done <<< "1" 2>/dev/null
echo "select REPLY=$REPLY x=$x"
