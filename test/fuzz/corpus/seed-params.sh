echo ${x//\}/y}
echo "${x:-"nested"}"
echo ${x:-$(echo })}
echo "${x:-'}'}"
echo ${#a[@]} ${a[*]:1:2} ${!p} ${x@Q}
