a=(1 2 "x y")
a+=(3)
declare -A m=([k]=v [a b]=c)
local -a x=(a b)
b=(
  one # comment
  two
)
a[1]=x
a[$i + 1]=y
