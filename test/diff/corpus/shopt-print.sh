#!/bin/bash
# shopt -p / shopt -q / set -o output after changes in earlier commands.
shopt -s extglob nullglob
shopt -u sourcepath
shopt -p extglob nullglob sourcepath globstar
shopt -q extglob && echo "extglob on"
shopt -q globstar || echo "globstar off"
shopt -s lastpipe
echo "z" | read -r last
echo "lastpipe read: ${last:-empty}"
shopt -p lastpipe
shopt -s inherit_errexit
shopt inherit_errexit
