#!/bin/bash
# stdin: select-choices.txt
# select reads choices from stdin; the menu and PS3 go to stderr.
PS3="pick a dataset: "
select ds in alpha beta "gamma ray" quit; do
  echo "REPLY=$REPLY ds=${ds:-invalid}"
  [ "$ds" = quit ] && break
done
echo "last choice: $ds"
select x in one two; do echo "second menu: $x"; break; done
echo "done"
