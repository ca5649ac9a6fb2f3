a[x y]=1 b[$i + 1]=(x) cmd
declare -A m=([a b]=c [$k]=$(echo v))
