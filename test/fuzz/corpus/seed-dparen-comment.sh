((a #((
) )
case x in a) ;; esac
