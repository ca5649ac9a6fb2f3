echo a \
  b \
  c
echo "in \
dquote"
ec\
ho split
