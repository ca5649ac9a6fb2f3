ls !(x).txt
echo @(a|b) +(c) *(d) ?(e)
case x in @(a|b)) ;; esac
