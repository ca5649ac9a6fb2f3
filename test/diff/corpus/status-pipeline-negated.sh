#!/bin/bash
# $? of pipelines, negated pipelines and compound commands, read next line.
echo hi | grep -q bye
echo "pipeline: $?"
! echo hi | grep -q bye
echo "negated: $?"
if false; then :; fi
echo "if with no branch run: $?"
for i in; do :; done
echo "empty for: $?"
case x in y) false;; esac
echo "case no match: $?"
{ false; }
echo "group: $?"
while false; do :; done
echo "while: $?"
f() { (exit 9); }
f
echo "func: $?"
