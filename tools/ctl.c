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
 * The run directory, the control-socket client, and the two commands
 * that use it: `vmmsim status` (a table like vmctl status) and `vmmsim
 * stop` (ctl.h).  Plain blocking sockets: each command talks to a few
 * VMs one after the other, so an event loop would buy nothing here.
 */

#define _DEFAULT_SOURCE

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_STATUS_TIMEOUT_MS	5000
#define CTL_STOP_TIMEOUT_MS	30000	/* a stop is prompt; this is slack */
#define CTL_MAX_VMS		256

/* Check that dir is a directory of ours that nobody else can write. */
static int
rundir_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return (errno);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return (ENOTDIR);
	}
	if (st.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: not owned by this user, or "
		    "writable by others", dir);
		return (EPERM);
	}
	return (0);
}

int
ctl_rundir(char *buf, size_t len, int create, char *err, size_t errlen)
{
	const char *env;
	int n;

	if ((env = getenv("VMMSIM_RUNDIR")) != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env != '\0')
		n = snprintf(buf, len, "%s/vmmsim", env);
	else
		n = snprintf(buf, len, "/tmp/vmmsim-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "run directory path too long");
		return (ENAMETOOLONG);
	}
	if (create && mkdir(buf, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", buf, strerror(errno));
		return (errno);
	}
	return (rundir_check(buf, err, errlen));
}

int
ctl_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > CTL_NAME_MAX || name[0] == '.')
		return (0);
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return (0);
	return (1);
}

int
ctl_sock_path(const char *dir, const char *name, char *buf, size_t len)
{
	struct sockaddr_un sun;
	int n;

	n = snprintf(buf, len, "%s/%s%s", dir, name, CTL_SUFFIX);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return (ENAMETOOLONG);
	return (0);
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, error;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		error = errno;
		close(fd);
		errno = error;
		return (-1);
	}
	return (fd);
}

/* Read one line (a byte at a time: replies are short) within ms. */
static int
read_line(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;
	char c;
	int p;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((p = poll(&pfd, 1, ms)) == -1) {
			if (errno == EINTR)
				continue;
			return (errno);
		}
		if (p == 0)
			return (ETIMEDOUT);
		if ((r = read(fd, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			return (errno);
		}
		if (r == 0)
			return (ECONNRESET);
		if (c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return (0);
}

int
ctl_command(int fd, const char *cmd, char *reply, size_t len, int timeout_ms)
{
	char line[CTL_LINE_MAX];
	size_t off = 0, n;
	ssize_t w;

	n = (size_t)snprintf(line, sizeof(line), "%s\n", cmd);
	if (n >= sizeof(line))
		return (EINVAL);
	while (off < n) {
		w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return (errno);
		off += (size_t)w;
	}
	return (read_line(fd, reply, len, timeout_ms));
}

int
ctl_field(const char *reply, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key), n;
	const char *p = reply, *end;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		/* console= is last and may hold spaces: to the end. */
		if (strncmp(p, "console=", 8) == 0)
			end = p + strlen(p);
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			n = (size_t)(end - (p + klen + 1));
			if (n >= len)
				n = len - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return (0);
		}
		p = end;
	}
	return (ENOENT);
}

/* --- the VMs in the run directory ------------------------------------ */

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The names of the sockets in dir, sorted, into names (each malloc'ed);
 * how many, or -1 if the directory cannot be read.
 */
static int
list_names(const char *dir, char **names, int max)
{
	struct dirent *de;
	DIR *d;
	size_t n, slen = strlen(CTL_SUFFIX);
	int count = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL && count < max) {
		n = strlen(de->d_name);
		if (n <= slen || strcmp(de->d_name + n - slen, CTL_SUFFIX) != 0)
			continue;
		if ((names[count] = strndup(de->d_name, n - slen)) == NULL)
			break;
		if (!ctl_name_ok(names[count])) {
			free(names[count]);
			continue;
		}
		count++;
	}
	closedir(d);
	qsort(names, (size_t)count, sizeof(names[0]), name_cmp);
	return (count);
}

static void
free_names(char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
}

/*
 * The status line of one VM: 0, ENOENT when nobody answers (no socket, or
 * a stale one), or another errno value.
 */
static int
query_status(const char *dir, const char *name, char *reply, size_t len)
{
	char path[CTL_LINE_MAX];
	int fd, error;

	if ((error = ctl_sock_path(dir, name, path, sizeof(path))) != 0)
		return (error);
	if ((fd = ctl_connect(path)) == -1)
		return (errno == ECONNREFUSED ? ENOENT : errno);
	error = ctl_command(fd, "status", reply, len, CTL_STATUS_TIMEOUT_MS);
	close(fd);
	return (error);
}

/* "536870912" as "512M", as vmctl shows memory. */
static void
fmt_mem(const char *bytes, char *buf, size_t len)
{
	unsigned long long v = strtoull(bytes, NULL, 10);

	if (v >= (1ULL << 30) && v % (1ULL << 30) == 0)
		snprintf(buf, len, "%lluG", v >> 30);
	else if (v >= (1ULL << 20))
		snprintf(buf, len, "%lluM", v >> 20);
	else
		snprintf(buf, len, "%lluK", v >> 10);
}

#define ROW_FMT	"%-16s %7s %-6s %7s %-9s %12s %s\n"

static void
print_header(void)
{
	printf(ROW_FMT, "NAME", "PID", "VENDOR", "MEMORY", "STATE", "TIME(s)",
	    "CONSOLE");
}

static void
print_row(const char *reply)
{
	char name[CTL_NAME_MAX + 1], pid[16], vendor[16], mem[32], mbuf[32];
	char state[32], vt[32], console[CTL_LINE_MAX], tbuf[32];
	double secs;

	if (ctl_field(reply, "name", name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "?");
	if (ctl_field(reply, "pid", pid, sizeof(pid)) != 0)
		snprintf(pid, sizeof(pid), "-");
	if (ctl_field(reply, "vendor", vendor, sizeof(vendor)) != 0)
		snprintf(vendor, sizeof(vendor), "-");
	if (ctl_field(reply, "memory", mem, sizeof(mem)) != 0)
		snprintf(mem, sizeof(mem), "0");
	if (ctl_field(reply, "state", state, sizeof(state)) != 0)
		snprintf(state, sizeof(state), "-");
	if (ctl_field(reply, "vtime_ns", vt, sizeof(vt)) != 0)
		snprintf(vt, sizeof(vt), "0");
	if (ctl_field(reply, "console", console, sizeof(console)) != 0)
		snprintf(console, sizeof(console), "-");
	fmt_mem(mem, mbuf, sizeof(mbuf));
	/* Device time, what the guest's clocks show (halts included). */
	secs = (double)strtoull(vt, NULL, 10) / 1e9;
	snprintf(tbuf, sizeof(tbuf), "%.6f", secs);
	printf(ROW_FMT, name, pid, vendor, mbuf, state, tbuf, console);
}

static void
status_usage(FILE *fp)
{
	fprintf(fp, "usage: vmmsim status [NAME]\n"
	    "  list the VMs that `vmmsim run` is running for this user\n"
	    "  (their control sockets in the run directory)\n");
}

int
vmmsim_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char dir[CTL_LINE_MAX], err[CTL_LINE_MAX], reply[CTL_LINE_MAX];
	char *names[CTL_MAX_VMS];
	int c, i, n, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			status_usage(stdout);
			return (0);
		default:
			status_usage(stderr);
			return (2);
		}
	}
	if (argc - optind > 1) {
		status_usage(stderr);
		return (2);
	}
	if (optind < argc && !ctl_name_ok(argv[optind])) {
		fprintf(stderr, "vmmsim status: bad VM name '%s'\n",
		    argv[optind]);
		return (2);
	}
	error = ctl_rundir(dir, sizeof(dir), 0, err, sizeof(err));
	if (error != 0 && error != ENOENT) {
		fprintf(stderr, "vmmsim status: %s\n", err);
		return (1);
	}
	if (optind < argc) {
		if (error == 0 && query_status(dir, argv[optind], reply,
		    sizeof(reply)) == 0) {
			print_header();
			print_row(reply);
			return (0);
		}
		fprintf(stderr, "vmmsim status: no VM named '%s' is "
		    "running\n", argv[optind]);
		return (1);
	}
	print_header();
	if (error == ENOENT || (n = list_names(dir, names, CTL_MAX_VMS)) <= 0)
		return (0);
	for (i = 0; i < n; i++) {
		/* Stale sockets (a VM killed without cleaning up) are skipped. */
		if (query_status(dir, names[i], reply, sizeof(reply)) == 0) {
			print_row(reply);
		}
	}
	free_names(names, n);
	return (0);
}

/*
 * Ask one VM to stop and wait until it has: the VM answers "stopping",
 * then "stopped" once its run loop has ended, or just closes.
 */
static int
stop_one(const char *dir, const char *name)
{
	char path[CTL_LINE_MAX], reply[CTL_LINE_MAX];
	int fd, error;

	if ((error = ctl_sock_path(dir, name, path, sizeof(path))) != 0 ||
	    (fd = ctl_connect(path)) == -1) {
		fprintf(stderr, "vmmsim stop: no VM named '%s' is running\n",
		    name);
		return (1);
	}
	error = ctl_command(fd, "stop", reply, sizeof(reply),
	    CTL_STATUS_TIMEOUT_MS);
	if (error == 0 && strcmp(reply, "stopping") != 0) {
		fprintf(stderr, "vmmsim stop: %s: %s\n", name, reply);
		close(fd);
		return (1);
	}
	if (error == 0)
		error = read_line(fd, reply, sizeof(reply), CTL_STOP_TIMEOUT_MS);
	close(fd);
	if (error == ETIMEDOUT) {
		fprintf(stderr, "vmmsim stop: %s: no answer after %d s\n",
		    name, CTL_STOP_TIMEOUT_MS / 1000);
		return (1);
	}
	/* A closed connection after "stopping" means it has gone too. */
	if (error != 0 && error != ECONNRESET) {
		fprintf(stderr, "vmmsim stop: %s: %s\n", name,
		    strerror(error));
		return (1);
	}
	printf("vmmsim stop: %s stopped\n", name);
	return (0);
}

static void
stop_usage(FILE *fp)
{
	fprintf(fp, "usage: vmmsim stop NAME | -a\n"
	    "  stop a VM that `vmmsim run --name NAME` runs (-a: all of\n"
	    "  this user's), and wait until it has stopped\n");
}

int
vmmsim_cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all",  no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char dir[CTL_LINE_MAX], err[CTL_LINE_MAX], reply[CTL_LINE_MAX];
	char *names[CTL_MAX_VMS];
	int c, i, n, error, all = 0, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'h':
			stop_usage(stdout);
			return (0);
		default:
			stop_usage(stderr);
			return (2);
		}
	}
	if (all == (optind < argc) || argc - optind > 1) {
		stop_usage(stderr);
		return (2);
	}
	if (!all && !ctl_name_ok(argv[optind])) {
		fprintf(stderr, "vmmsim stop: bad VM name '%s'\n",
		    argv[optind]);
		return (2);
	}
	error = ctl_rundir(dir, sizeof(dir), 0, err, sizeof(err));
	if (error != 0 && error != ENOENT) {
		fprintf(stderr, "vmmsim stop: %s\n", err);
		return (1);
	}
	if (!all) {
		if (error == ENOENT) {
			fprintf(stderr, "vmmsim stop: no VM named '%s' is "
			    "running\n", argv[optind]);
			return (1);
		}
		return (stop_one(dir, argv[optind]));
	}
	if (error == ENOENT || (n = list_names(dir, names, CTL_MAX_VMS)) <= 0)
		return (0);
	for (i = 0; i < n; i++)
		/* Only the live ones: a stale socket is not a VM. */
		if (query_status(dir, names[i], reply, sizeof(reply)) == 0 &&
		    stop_one(dir, names[i]) != 0)
			status = 1;
	free_names(names, n);
	return (status);
}
