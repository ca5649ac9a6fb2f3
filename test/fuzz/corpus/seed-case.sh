case $x in
  (a|b) echo ab ;;
  c) echo c ;&
  d) echo d ;;&
  *) ;;
esac
case x in esac
case x in a) esac
