/*
 * shell.h - the cairn program: command line, subcommands, script and
 * REPL front ends.
 */
#ifndef CAIRN_SHELL_H
#define CAIRN_SHELL_H

/* Run cairn with ARGC/ARGV as given to main(); returns the exit status. */
int shell_main(int argc, char **argv);

#endif
