/* sluice: command-line client for the sluice aggregator. */
#include <signal.h>
#include <stdio.h>

#include <curl/curl.h>

#include "cli.h"

int main(int argc, char **argv)
{
	int rc;

	/* A closed stdout shows up as EPIPE, which sl_cli_run() handles. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("sluice: cannot initialise libcurl\n", stderr);
		return SL_CLI_EXIT_ERROR;
	}
	rc = sl_cli_main(argc, argv);
	curl_global_cleanup();
	return rc;
}
