diff <(ls a) >(cat)
while read x; do :; done < <(echo)
