/*
 * rusage — runs one command and reports what the kernel accounted for it.
 *
 *   rusage OUTFILE COMMAND [ARG...]
 *
 * Forks, execs COMMAND, waits for it with wait4() and appends one line to
 * OUTFILE:
 *
 *   user_s sys_s maxrss_kib wall_s exit_status
 *
 * user_s and sys_s are the CPU seconds of the process and of every descendant
 * it waited for (the kernel's accounting, all threads); maxrss_kib is the
 * largest resident set of the process or of one such descendant; wall_s is
 * from fork to exit on CLOCK_MONOTONIC. SIGTERM, SIGINT and SIGHUP sent to
 * rusage are forwarded to the command, so a benchmark can stop a server by
 * signalling this wrapper and still get the server's figures. rusage exits
 * with the command's status (128+N for a signal). Built by benchmarks/run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = forward};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 127;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	child = pid;
	int status = 0;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 127;
		}
	}
	double wall = now() - t0;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *fp = fopen(argv[1], "a");
	if (!fp) {
		perror(argv[1]);
		return 127;
	}
	fprintf(fp, "%.6f %.6f %ld %.6f %d\n",
	        (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, wall,
	        rc);
	fclose(fp);
	return rc;
}
