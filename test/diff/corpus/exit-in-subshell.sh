#!/bin/bash
# exit in a subshell, a pipeline element or $( ) does not end the script.
( echo "sub"; exit 3 )
echo "after subshell: $?"
v=$(echo in-cmdsubst; exit 4)
echo "after cmdsubst: $? v=$v"
echo x | { read -r y; exit 5; }
echo "after pipeline: $?"
{ echo "group"; } ; echo "group does not exit"
bash -c 'exit 6'
echo "child: $?"
( ( exit 7 ) ; echo "inner status $?" )
echo "end"
