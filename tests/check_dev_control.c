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
 * `vmmsim run` as a running VM, end to end through the built command:
 * console input on stdin echoed by testdata/echo_rom.bin, the control
 * socket (status, stop), `vmmsim status` and `vmmsim stop`, SIGTERM, a
 * name already in use, stale sockets, a guest spinning with interrupts
 * off, and the unix:PATH console.  Every test has a run directory of its
 * own ($VMMSIM_RUNDIR).
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define ECHO_ROM	BUILDDIR "/testdata/echo_rom.bin"

static const char *const vendors[] = { "intel", "amd" };
static char rundir[64];

static void
setup(void)
{
	snprintf(rundir, sizeof(rundir), "/tmp/vmmsim-check-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(rundir));
	ck_assert_int_eq(setenv("VMMSIM_RUNDIR", rundir, 1), 0);
	signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	(void)system(cmd);
}

/* Start the echo guest as NAME and wait for its "ready". */
static void
start_echo(struct child *c, const char *name, const char *vendor)
{
	const char *argv[] = { "vmmsim", "run", "--name", name, "--vendor",
	    vendor, "--bios", ECHO_ROM, NULL };

	spawn(c, argv);
	ck_assert_msg(pump(c, "ready\n") == 0, "no ready: %s", c->ebuf);
}

/* Run a vmmsim command; its stdout+stderr into out, its exit status. */
static int
sh(const char *cmd, char *out, size_t len)
{
	FILE *fp;
	size_t n;
	int st;

	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	st = pclose(fp);
	ck_assert_msg(WIFEXITED(st), "%s: did not exit", cmd);
	return (WEXITSTATUS(st));
}

/* A unix socket address: the VM's control socket, or path itself. */
static socklen_t
unix_addr(struct sockaddr_un *sun, const char *name, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (name != NULL)
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s.sock",
		    rundir, name);
	else
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	return (sizeof(*sun));
}

static int
sock_exists(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s.sock", rundir, name);
	return (stat(path, &st) == 0);
}

/*
 * One control-socket exchange: a command line, one reply line; -1 if
 * nobody listens (yet).
 */
static int
try_ctl(const char *name, const char *cmd, char *reply, size_t len)
{
	struct sockaddr_un sun;
	size_t n = 0;
	int fd;
	char ch;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	if (connect(fd, (struct sockaddr *)&sun, unix_addr(&sun, name,
	    NULL)) == -1) {
		close(fd);
		return (-1);
	}
	ck_assert_int_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	while (n + 1 < len && read(fd, &ch, 1) == 1 && ch != '\n')
		reply[n++] = ch;
	reply[n] = '\0';
	close(fd);
	return (0);
}

static void
ctl(const char *name, const char *cmd, char *reply, size_t len)
{
	ck_assert_int_eq(try_ctl(name, cmd, reply, len), 0);
}

/* Wait until the VM's state is want (the guest is halted for input). */
static void
wait_state(const char *name, const char *want)
{
	char reply[1024], key[64];
	long end = now_ms() + WAIT_MS;

	snprintf(key, sizeof(key), "state=%s ", want);
	for (;;) {
		if (try_ctl(name, "status\n", reply, sizeof(reply)) == -1)
			reply[0] = '\0';	/* not listening yet */
		else if (strstr(reply, key) != NULL)
			return;
		ck_assert_msg(now_ms() < end, "state never %s: %s", want,
		    reply);
		usleep(20000);
	}
}

START_TEST(test_console_input_is_echoed_the_same_twice)
{
	struct child c;
	char first[8192];
	int round;

	for (round = 0; round < 2; round++) {
		start_echo(&c, "echo", vendors[_i]);
		send_input(&c, "hello\nworld\nq");
		/* The guest echoes, and leaves through port 0xF4 with 3. */
		ck_assert_int_eq(finish(&c), 7);
		ck_assert_str_eq(c.obuf, "ready\nhello\nworld\nq");
		if (round == 0)
			snprintf(first, sizeof(first), "%s", c.obuf);
		else
			ck_assert_str_eq(c.obuf, first);
		ck_assert(!sock_exists("echo"));
	}
}
END_TEST

START_TEST(test_status_lists_the_running_vm)
{
	struct child c;
	char out[4096];

	start_echo(&c, "st1", vendors[_i]);
	wait_state("st1", "halted");
	ck_assert_int_eq(sh(VMMSIM " status 2>&1", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "NAME"));
	ck_assert_ptr_nonnull(strstr(out, "st1 "));
	ck_assert_ptr_nonnull(strstr(out, vendors[_i]));
	ck_assert_ptr_nonnull(strstr(out, "512M"));
	ck_assert_ptr_nonnull(strstr(out, "halted"));
	ck_assert_ptr_nonnull(strstr(out, "stdio"));
	ck_assert_int_eq(sh(VMMSIM " status st1 2>&1", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "st1 "));
	ck_assert_int_eq(sh(VMMSIM " status nosuch 2>&1", out, sizeof(out)),
	    1);
	ck_assert_ptr_nonnull(strstr(out, "no VM named 'nosuch'"));
	send_input(&c, "q");
	ck_assert_int_eq(finish(&c), 7);
}
END_TEST

START_TEST(test_status_line_has_every_key)
{
	struct child c;
	char reply[1024], want[64];

	start_echo(&c, "keys", vendors[_i]);
	send_input(&c, "ab");
	ck_assert_int_eq(pump(&c, "ab"), 0);
	ctl("keys", "status\n", reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "name=keys "));
	snprintf(want, sizeof(want), "pid=%ld ", (long)c.pid);
	ck_assert_ptr_nonnull(strstr(reply, want));
	snprintf(want, sizeof(want), "vendor=%s ", vendors[_i]);
	ck_assert_ptr_nonnull(strstr(reply, want));
	ck_assert_ptr_nonnull(strstr(reply, "memory=536870912 "));
	ck_assert_ptr_nonnull(strstr(reply, " vtime_ns="));
	ck_assert_ptr_nonnull(strstr(reply, " runs="));
	ck_assert_ptr_nonnull(strstr(reply, " irqs="));
	ck_assert_ptr_nonnull(strstr(reply, " input=2 "));
	ck_assert_ptr_nonnull(strstr(reply, " boots=1 "));
	ck_assert_ptr_nonnull(strstr(reply, " console=stdio"));
	ctl("keys", "reboot\n", reply, sizeof(reply));
	ck_assert_str_eq(reply, "error unknown command 'reboot' (status, "
	    "stop)");
	send_input(&c, "q");
	ck_assert_int_eq(finish(&c), 7);
}
END_TEST

START_TEST(test_stop_by_name_ends_run_with_0)
{
	struct child c;
	char out[4096];

	start_echo(&c, "s1", vendors[_i]);
	ck_assert(sock_exists("s1"));
	ck_assert_int_eq(sh(VMMSIM " stop s1 2>&1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "vmmsim stop: s1 stopped\n");
	ck_assert_int_eq(finish(&c), 0);
	ck_assert_ptr_nonnull(strstr(c.ebuf, "s1: stopped by vmmsim stop"));
	ck_assert_str_eq(c.obuf, "ready\n");
	ck_assert(!sock_exists("s1"));
}
END_TEST

START_TEST(test_stop_all_stops_every_vm)
{
	struct child a, b;
	char out[4096];

	start_echo(&a, "a1", "intel");
	start_echo(&b, "b1", "amd");
	ck_assert_int_eq(sh(VMMSIM " stop -a 2>&1", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "a1 stopped"));
	ck_assert_ptr_nonnull(strstr(out, "b1 stopped"));
	ck_assert_int_eq(finish(&a), 0);
	ck_assert_int_eq(finish(&b), 0);
}
END_TEST

START_TEST(test_sigterm_stops_cleanly_and_removes_socket)
{
	struct child c;

	start_echo(&c, "t1", vendors[_i]);
	ck_assert(sock_exists("t1"));
	ck_assert_int_eq(kill(c.pid, SIGTERM), 0);
	ck_assert_int_eq(finish(&c), 0);
	ck_assert_ptr_nonnull(strstr(c.ebuf, "t1: stopped by SIGTERM"));
	ck_assert(!sock_exists("t1"));
}
END_TEST

/*
 * '!' makes the guest spin with interrupts off and no exits: only the
 * kick out of VMM_IOC_RUN can stop it.
 */
START_TEST(test_stop_reaches_a_guest_spinning_without_exits)
{
	struct child c;
	char out[4096];

	start_echo(&c, "spin", vendors[_i]);
	send_input(&c, "!");
	ck_assert_int_eq(pump(&c, "!"), 0);
	usleep(100000);
	wait_state("spin", "running");
	ck_assert_int_eq(sh(VMMSIM " stop spin 2>&1", out, sizeof(out)), 0);
	ck_assert_int_eq(finish(&c), 0);
	ck_assert_str_eq(c.obuf, "ready\n!");
}
END_TEST

START_TEST(test_stop_unknown_name_fails_with_message)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " stop nosuch 2>&1", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "vmmsim stop: no VM named 'nosuch' is "
	    "running\n");
	ck_assert_int_eq(sh(VMMSIM " stop 2>&1", out, sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " stop '../x' 2>&1", out, sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " stop --help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: vmmsim stop"));
	ck_assert_int_eq(sh(VMMSIM " status --help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: vmmsim status"));
}
END_TEST

START_TEST(test_second_run_with_same_name_is_refused)
{
	struct child c;
	char out[4096];

	start_echo(&c, "dup", vendors[_i]);
	ck_assert_int_eq(sh(VMMSIM " run --name dup --bios " ECHO_ROM
	    " </dev/null 2>&1", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "a VM named 'dup' is already "
	    "running"));
	/* The first one is untouched and still answers. */
	ck_assert_int_eq(sh(VMMSIM " status dup >/dev/null 2>&1", out,
	    sizeof(out)), 0);
	send_input(&c, "q");
	ck_assert_int_eq(finish(&c), 7);
	ck_assert_int_eq(sh(VMMSIM " run --name 'bad/name' --bios " ECHO_ROM
	    " </dev/null 2>&1", out, sizeof(out)), 2);
}
END_TEST

/* A socket whose VM died without removing it. */
static void
make_stale(const char *name)
{
	struct sockaddr_un sun;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, unix_addr(&sun,
	    name, NULL)), 0);
	close(fd);
	ck_assert(sock_exists(name));
}

START_TEST(test_stale_sockets_are_skipped_and_replaced)
{
	struct child c;
	char out[4096];

	make_stale("old");
	make_stale("st");
	ck_assert_int_eq(sh(VMMSIM " status 2>&1", out, sizeof(out)), 0);
	ck_assert_ptr_null(strstr(out, "old"));
	ck_assert_int_eq(sh(VMMSIM " stop old 2>&1", out, sizeof(out)), 1);
	/* A new VM of that name takes the place of the stale socket. */
	start_echo(&c, "st", "intel");
	ck_assert_int_eq(sh(VMMSIM " status 2>&1", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "st "));
	ck_assert_ptr_null(strstr(out, "old"));
	ck_assert_int_eq(sh(VMMSIM " stop -a 2>&1", out, sizeof(out)), 0);
	ck_assert_int_eq(finish(&c), 0);
}
END_TEST

START_TEST(test_run_directory_must_be_private)
{
	char out[4096];

	ck_assert_int_eq(chmod(rundir, 0777), 0);
	ck_assert_int_eq(sh(VMMSIM " run --bios " ECHO_ROM
	    " </dev/null 2>&1", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "writable by others"));
	ck_assert_int_eq(chmod(rundir, 0700), 0);
}
END_TEST

/* --console unix:PATH: a client gets the output and sends input. */
START_TEST(test_unix_console_echoes_through_socket)
{
	const char *argv[] = { "vmmsim", "run", "--name", "u", "--console",
	    NULL, "--bios", ECHO_ROM, NULL };
	struct sockaddr_un sun;
	struct child c;
	char path[128], arg[160], got[64];
	size_t n = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/console", rundir);
	snprintf(arg, sizeof(arg), "unix:%s", path);
	argv[5] = arg;
	spawn(&c, argv);
	wait_state("u", "halted");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, unix_addr(&sun,
	    NULL, path)), 0);
	ck_assert_int_eq(write(fd, "xyq", 3), 3);
	while (n < sizeof(got) - 1 &&
	    (r = read(fd, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	close(fd);
	ck_assert_int_eq(finish(&c), 7);
	/* "ready" went out before anyone was connected. */
	ck_assert_str_eq(got, "xyq");
	ck_assert_str_eq(c.obuf, "");
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* With a file console there is no input: the old rules hold. */
START_TEST(test_file_console_takes_no_input)
{
	char out[4096], cmd[512], path[128];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/out.txt", rundir);
	snprintf(cmd, sizeof(cmd), "echo q | " VMMSIM " run --max-time 50ms "
	    "--console file:%s --bios " ECHO_ROM " 2>&1", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 124);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	ck_assert_str_eq(out, "ready\n");
}
END_TEST

/*
 * Console input that could come but does not changes nothing: the paced
 * halts end with the same skips, so the run is the one with no input at
 * all, to the nanosecond and the exit.
 */
START_TEST(test_open_stdin_without_input_changes_nothing)
{
	char quiet[4096], open_in[4096], cmd[512];

	snprintf(cmd, sizeof(cmd), VMMSIM " run -v --vendor %s --max-time "
	    "500ms --bios " ECHO_ROM " </dev/null 2>&1", vendors[_i]);
	ck_assert_int_eq(sh(cmd, quiet, sizeof(quiet)), 124);
	snprintf(cmd, sizeof(cmd), "sleep 3 | " VMMSIM " run -v --vendor %s "
	    "--max-time 500ms --bios " ECHO_ROM " 2>&1", vendors[_i]);
	ck_assert_int_eq(sh(cmd, open_in, sizeof(open_in)), 124);
	ck_assert_ptr_nonnull(strstr(quiet, "ready\n"));
	ck_assert_ptr_nonnull(strstr(quiet, "boot 1: time limit reached, "));
	ck_assert_str_eq(open_in, quiet);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("dev_control");
	TCase *tc = tcase_create("control");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tc, test_console_input_is_echoed_the_same_twice,
	    0, 2);
	tcase_add_loop_test(tc, test_status_lists_the_running_vm, 0, 2);
	tcase_add_loop_test(tc, test_status_line_has_every_key, 0, 2);
	tcase_add_loop_test(tc, test_stop_by_name_ends_run_with_0, 0, 2);
	tcase_add_test(tc, test_stop_all_stops_every_vm);
	tcase_add_loop_test(tc, test_sigterm_stops_cleanly_and_removes_socket,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_stop_reaches_a_guest_spinning_without_exits, 0, 2);
	tcase_add_test(tc, test_stop_unknown_name_fails_with_message);
	tcase_add_loop_test(tc, test_second_run_with_same_name_is_refused,
	    0, 2);
	tcase_add_test(tc, test_stale_sockets_are_skipped_and_replaced);
	tcase_add_test(tc, test_run_directory_must_be_private);
	tcase_add_test(tc, test_unix_console_echoes_through_socket);
	tcase_add_test(tc, test_file_console_takes_no_input);
	tcase_add_loop_test(tc, test_open_stdin_without_input_changes_nothing,
	    0, 2);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
