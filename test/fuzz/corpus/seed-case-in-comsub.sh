echo $(case x in a) echo;; esac)
x=$(case $y in (a) echo a;; *) echo b;; esac)
