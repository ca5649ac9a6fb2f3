time -p ls
time
! true
! ! true
time ! true
