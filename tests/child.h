/*
 * Copyright (c) 2026 The vmmsim authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The built vmmsim command as a child of a test, with pipes on its stdin,
 * stdout and stderr: start it, feed it, read it until it prints something
 * or ends, and reap it.  For the suites that drive `vmmsim run` and
 * `vmmsim replay` as a user would (check_dev_control, check_replay).
 */

#ifndef VMMSIM_TESTS_CHILD_H
#define VMMSIM_TESTS_CHILD_H

#include <sys/wait.h>
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VMMSIM		BUILDDIR "/vmmsim"
#define WAIT_MS		20000

struct child {
	pid_t	 pid;
	int	 in, out, err;
	char	 obuf[16384];
	size_t	 olen;
	char	 ebuf[16384];
	size_t	 elen;
};

static void
spawn(struct child *c, const char *const *argv)
{
	int pin[2], pout[2], perr[2];

	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(pipe(pin), 0);
	ck_assert_int_eq(pipe(pout), 0);
	ck_assert_int_eq(pipe(perr), 0);
	c->pid = fork();
	ck_assert_int_ne(c->pid, -1);
	if (c->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[0]); close(pin[1]);
		close(pout[0]); close(pout[1]);
		close(perr[0]); close(perr[1]);
		execv(VMMSIM, (char *const *)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	c->in = pin[1];
	c->out = pout[0];
	c->err = perr[0];
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Read the child's stdout and stderr until stdout holds want (or, with
 * want NULL, until both are at EOF); 0, or -1 on timeout.
 */
static int
pump(struct child *c, const char *want)
{
	struct pollfd pfd[2];
	long end = now_ms() + WAIT_MS;
	ssize_t n;
	int open_out = 1, open_err = 1;

	while (open_out || open_err) {
		c->obuf[c->olen] = '\0';
		c->ebuf[c->elen] = '\0';
		if (want != NULL && strstr(c->obuf, want) != NULL)
			return (0);
		if (now_ms() > end)
			return (-1);
		pfd[0].fd = open_out ? c->out : -1;
		pfd[1].fd = open_err ? c->err : -1;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, 100) <= 0)
			continue;
		if (pfd[0].revents) {
			n = read(c->out, c->obuf + c->olen,
			    sizeof(c->obuf) - 1 - c->olen);
			if (n <= 0)
				open_out = 0;
			else
				c->olen += (size_t)n;
		}
		if (pfd[1].revents) {
			n = read(c->err, c->ebuf + c->elen,
			    sizeof(c->ebuf) - 1 - c->elen);
			if (n <= 0)
				open_err = 0;
			else
				c->elen += (size_t)n;
		}
	}
	c->obuf[c->olen] = '\0';
	c->ebuf[c->elen] = '\0';
	return (want == NULL ? 0 : -1);
}

/* Read to EOF, then reap: the exit status, or -1 if it did not exit. */
static int
finish(struct child *c)
{
	int st;

	if (c->in != -1)
		close(c->in);
	c->in = -1;
	ck_assert_msg(pump(c, NULL) == 0, "vmmsim run did not end; "
	    "stdout: %s stderr: %s", c->obuf, c->ebuf);
	ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
	close(c->out);
	close(c->err);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void
send_input(struct child *c, const char *s)
{
	ck_assert_int_eq(write(c->in, s, strlen(s)), (ssize_t)strlen(s));
}

#endif /* VMMSIM_TESTS_CHILD_H */
