#!/bin/bash
# umask set in one command applies to files created in later commands.
umask 022
touch a.txt
umask 077
touch b.txt
mkdir dir_private
umask
umask -S
stat -c '%a %n' a.txt b.txt dir_private
umask 0027
echo x > c.txt
stat -c '%a %n' c.txt
(umask 0; touch d.txt)
umask
stat -c '%a %n' d.txt
