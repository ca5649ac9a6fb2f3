#!/bin/bash
# cd to a missing directory: error message with the line number; the
# working directory is unchanged for later commands.
mkdir exists
cd exists
cd no_such_dir
echo "status=$? still in ${PWD##*/}"
cd ..
touch plainfile
cd plainfile
echo "status=$?"
cd a b
echo "two args status=$?"
CDPATH=exists
mkdir -p exists/target
cd target
echo "via CDPATH: ${PWD##*/}"
