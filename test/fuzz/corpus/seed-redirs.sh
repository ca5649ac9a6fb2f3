exec {fd}>file
echo &>f
echo &>>f
echo >|f 2>&1 <>g 3<&- 4>&-
cat <<<"str"
ls |& cat
