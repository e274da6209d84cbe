/* main.c - the siphon command line: dispatches subcommands. */
#include <stdio.h>
int main(void) { puts("siphon"); return 0; }
