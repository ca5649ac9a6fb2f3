echo a \
