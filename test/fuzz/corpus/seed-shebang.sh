#!/bin/bash
# comment
echo hi # trailing
a#b ${#x} $#
