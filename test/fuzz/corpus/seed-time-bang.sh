time -p -- ls
! time ! a | b
time
!
