/* sluice: command-line client for the sluice aggregator. */
#include <signal.h>
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
	/* A closed stdout shows up as EPIPE, which sl_cli_run() handles. */
	signal(SIGPIPE, SIG_IGN);
	return sl_cli_main(argc, argv);
}
