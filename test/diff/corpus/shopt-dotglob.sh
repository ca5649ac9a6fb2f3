#!/bin/bash
# shopt -s dotglob makes * match dot files in later commands.
touch .hidden visible .config_x
echo *
shopt -s dotglob
echo *
all=(*)
echo "${#all[@]}"
shopt -u dotglob
echo .*
echo *
