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
 * Record and replay end to end through the built command: the echo guest
 * (testdata/echo_rom.bin) recorded with console input from a pipe, then
 * `vmmsim replay`: the same output and status 0, ten times; a log with a
 * checkpoint's register, memory or device hash flipped, or an input byte
 * changed, is caught at that checkpoint with status 3; a stop of a guest
 * spinning without exits replays; truncated, garbage and foreign logs
 * and a changed image are refused with status 1.  `replay --from` a
 * snapshot taken while recording feeds only the later inputs, checks only
 * the later checkpoints (a flipped one is caught, an earlier one is not
 * looked at), and refuses another vendor's, another image's, an
 * unrecorded run's or a too-late snapshot.  Each on both vendors
 * where the vendor matters.  The log layout used to perturb it is
 * docs/replay-format.md's.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define ECHO_ROM	BUILDDIR "/testdata/echo_rom.bin"

/* The log layout (docs/replay-format.md). */
#define FILE_HDR	16
#define REC_HDR		8
#define T_INPUT		2
#define T_CKPT		4
#define NREGS		81
#define POINT_LEN	40
#define CK_REGS		(8 + POINT_LEN + 4)	/* offset of regs[0] */
#define CK_DEV		(CK_REGS + 8 * NREGS)
#define CK_MEM		(CK_DEV + 8)
#define CK_BLOCKS	(CK_MEM + 8 + 4)
#define REG_RIP		16
#define REG_RAX		0

static const char *const vendors[] = { "intel", "amd" };
static char dir[64];
static char logpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vmmsim-replay-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(setenv("VMMSIM_RUNDIR", dir, 1), 0);
	snprintf(logpath, sizeof(logpath), "%s/run.log", dir);
	signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

/*
 * Record the echo guest: "ready", then each of the inputs after the
 * guest echoed the one before.  The run's stdout into out.
 */
static int
record_echo(const char *vendor, const char *const *inputs, char *out,
    size_t len)
{
	const char *argv[] = { "vmmsim", "run", "-m", "16M", "--vendor",
	    vendor, "--bios", ECHO_ROM, "--record", logpath,
	    "--checkpoint-exits", "4", NULL };
	struct child c;
	char want[256];
	size_t i, seen = 0;
	int st;

	spawn(&c, argv);
	ck_assert_msg(pump(&c, "ready\n") == 0, "no ready: %s", c.ebuf);
	want[0] = '\0';
	strcat(want, "ready\n");
	for (i = 0; inputs[i] != NULL; i++) {
		send_input(&c, inputs[i]);
		if (inputs[i + 1] == NULL)
			break;
		seen += strlen(inputs[i]);
		strncat(want, inputs[i], sizeof(want) - strlen(want) - 1);
		ck_assert_msg(pump(&c, want) == 0, "no echo of %s: %s",
		    inputs[i], c.obuf);
	}
	(void)seen;
	st = finish(&c);
	snprintf(out, len, "%s", c.obuf);
	return (st);
}

/* vmmsim replay [extra] LOG: its status, stdout and stderr. */
static int
replay(const char *extra1, const char *extra2, struct child *c)
{
	const char *argv[6];
	int n = 0;

	argv[n++] = "vmmsim";
	argv[n++] = "replay";
	if (extra1 != NULL)
		argv[n++] = extra1;
	if (extra2 != NULL)
		argv[n++] = extra2;
	argv[n++] = logpath;
	argv[n] = NULL;
	spawn(c, argv);
	return (finish(c));
}

static uint8_t *
read_log(size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_ptr_nonnull(buf = malloc((size_t)st.st_size));
	ck_assert_int_ne(fd = open(logpath, O_RDONLY), -1);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return (buf);
}

static void
write_log(const uint8_t *buf, size_t len)
{
	int fd;

	ck_assert_int_ne(fd = open(logpath, O_WRONLY | O_TRUNC | O_CREAT, 0644), -1);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

/* The payload offset of the n-th record of a type, or 0. */
static size_t
find_record(const uint8_t *buf, size_t len, int type, int n)
{
	size_t off = FILE_HDR;

	while (off + REC_HDR <= len) {
		if (buf[off] == type && n-- == 0)
			return (off + REC_HDR);
		off += REC_HDR + le32(buf + off + 4);
	}
	return (0);
}

/* Flip a byte at offset at within checkpoint seq; the log's size. */
static void
flip_in_ckpt(int seq, size_t at)
{
	uint8_t *buf;
	size_t len, off;

	buf = read_log(&len);
	off = find_record(buf, len, T_CKPT, seq);
	ck_assert_uint_ne(off, 0);
	ck_assert_uint_lt(off + at, len);
	buf[off + at] ^= 0x01;
	write_log(buf, len);
	free(buf);
}

static const char *const hello_q[] = { "hello", "q", NULL };

START_TEST(test_replay_reproduces_recorded_output)
{
	struct child c;
	char rec[4096];

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	ck_assert_str_eq(rec, "ready\nhelloq");
	ck_assert_int_eq(replay("-v", NULL, &c), 0);
	ck_assert_str_eq(c.obuf, rec);
	ck_assert_msg(strstr(c.ebuf, "matched") != NULL, "%s", c.ebuf);
}
END_TEST

START_TEST(test_ten_replays_are_identical)
{
	struct child c;
	char rec[4096];
	const char *const in[] = { "one\n", "two\n", "q", NULL };
	int i;

	ck_assert_int_eq(record_echo(vendors[_i], in, rec, sizeof(rec)), 7);
	ck_assert_str_eq(rec, "ready\none\ntwo\nq");
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(replay(NULL, NULL, &c), 0);
		ck_assert_str_eq(c.obuf, rec);
		ck_assert_str_eq(c.ebuf, "");
	}
}
END_TEST

START_TEST(test_flipped_register_is_caught_at_its_checkpoint)
{
	struct child c;
	char rec[4096];

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	flip_in_ckpt(2, CK_REGS + 8 * REG_RIP);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "checkpoint 2: register rip is ") !=
	    NULL, "%s", c.ebuf);
	ck_assert_msg(strstr(c.ebuf, "diverged at exit 12,") != NULL, "%s",
	    c.ebuf);
}
END_TEST

START_TEST(test_flipped_memory_hash_is_caught)
{
	struct child c;
	char rec[4096];

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	flip_in_ckpt(1, CK_MEM);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "checkpoint 1: memory hash is ") !=
	    NULL, "%s", c.ebuf);
}
END_TEST

START_TEST(test_flipped_memory_block_names_its_address)
{
	struct child c;
	char rec[4096];

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	/*
	 * Blocks go range by range: low memory (0), the 0xA0000 hole (1),
	 * then RAM from 1 MiB.
	 */
	flip_in_ckpt(0, CK_BLOCKS + 8 * 2);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "checkpoint 0: memory differs in the "
	    "block at 0x100000") != NULL, "%s", c.ebuf);
}
END_TEST

START_TEST(test_flipped_device_hash_is_caught)
{
	struct child c;
	char rec[4096];

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	flip_in_ckpt(3, CK_DEV + 7);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "checkpoint 3: device state hash") !=
	    NULL, "%s", c.ebuf);
}
END_TEST

START_TEST(test_changed_input_byte_diverges)
{
	struct child c;
	uint8_t *buf;
	char rec[4096];
	size_t len, off;

	ck_assert_int_eq(record_echo(vendors[_i], hello_q, rec,
	    sizeof(rec)), 7);
	buf = read_log(&len);
	off = find_record(buf, len, T_INPUT, 0);
	ck_assert_uint_ne(off, 0);
	ck_assert_uint_eq(le32(buf + off + POINT_LEN), 5);
	ck_assert_int_eq(buf[off + POINT_LEN + 4], 'h');
	buf[off + POINT_LEN + 4] = 'j';
	write_log(buf, len);
	free(buf);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	/*
	 * COM1 holds another byte: the checkpoint after the input catches
	 * it, before the guest could echo anything.
	 */
	ck_assert_str_eq(c.obuf, "ready\n");
	ck_assert_msg(strstr(c.ebuf, "diverged at exit") != NULL &&
	    strstr(c.ebuf, ": device state hash is") != NULL, "%s", c.ebuf);
}
END_TEST

/*
 * A stop reaches a guest spinning with interrupts off and no exits
 * ('!'), at a deterministic point; the replay stops there too.
 */
START_TEST(test_stop_of_spinning_guest_replays)
{
	const char *argv[] = { "vmmsim", "run", "-m", "16M", "--vendor",
	    vendors[_i], "--bios", ECHO_ROM, "--record", logpath,
	    "--checkpoint-exits", "4", NULL };
	struct child c, r;

	spawn(&c, argv);
	ck_assert_int_eq(pump(&c, "ready\n"), 0);
	send_input(&c, "ab!");
	ck_assert_int_eq(pump(&c, "ab!"), 0);
	usleep(100000);
	kill(c.pid, SIGTERM);
	ck_assert_int_eq(finish(&c), 0);
	ck_assert_str_eq(c.obuf, "ready\nab!");
	ck_assert_msg(replay(NULL, NULL, &r) == 0,
	    "the replay diverged; it said: %s (recording: %s)", r.ebuf, c.ebuf);
	ck_assert_str_eq(r.obuf, c.obuf);
}
END_TEST

START_TEST(test_truncated_log_is_refused)
{
	static const size_t cuts[] = { 0, 4, 12, 16, 20, 30, 200 };
	struct child c;
	char rec[4096];
	uint8_t *buf;
	size_t len, i, cut;

	ck_assert_int_eq(record_echo("intel", hello_q, rec, sizeof(rec)), 7);
	buf = read_log(&len);
	for (i = 0; i <= sizeof(cuts) / sizeof(cuts[0]); i++) {
		/* Cuts from the front, and one byte short of the whole. */
		cut = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] : len - 1;
		write_log(buf, cut);
		ck_assert_int_eq(replay(NULL, NULL, &c), 1);
		ck_assert_msg(strstr(c.ebuf, "truncated") != NULL ||
		    strstr(c.ebuf, "bad magic") != NULL ||
		    strstr(c.ebuf, "no identity") != NULL ||
		    strstr(c.ebuf, "no end record") != NULL,
		    "cut %zu: %s", cut, c.ebuf);
		ck_assert_str_eq(c.obuf, "");
	}
	/* Without its end record (a killed recording). */
	write_log(buf, len - REC_HDR - POINT_LEN - 16);
	ck_assert_int_eq(replay(NULL, NULL, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "no end record") != NULL, "%s", c.ebuf);
	free(buf);
}
END_TEST

START_TEST(test_garbage_and_foreign_logs_are_refused)
{
	struct child c;
	char rec[4096];
	uint8_t *buf, junk[4096], version;
	size_t len, i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	write_log(junk, sizeof(junk));
	ck_assert_int_eq(replay(NULL, NULL, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "bad magic") != NULL, "%s", c.ebuf);

	ck_assert_int_eq(record_echo("intel", hello_q, rec, sizeof(rec)), 7);
	buf = read_log(&len);
	version = buf[8];
	buf[8] = 99;				/* the version */
	write_log(buf, len);
	ck_assert_int_eq(replay(NULL, NULL, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "log version 99") != NULL, "%s", c.ebuf);
	buf[8] = version;
	/* Garbage after a valid header: a bad record type. */
	memcpy(buf + FILE_HDR, junk, len - FILE_HDR < 64 ? len - FILE_HDR :
	    64);
	buf[FILE_HDR] = 0x7F;
	write_log(buf, len);
	ck_assert_int_eq(replay(NULL, NULL, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "bad record header") != NULL, "%s",
	    c.ebuf);
	free(buf);
	/* No such file. */
	unlink(logpath);
	ck_assert_int_eq(replay(NULL, NULL, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "No such file") != NULL, "%s", c.ebuf);
}
END_TEST

START_TEST(test_changed_image_is_refused)
{
	struct child c;
	char rec[4096], other[160], cmd[512];
	int fd;

	ck_assert_int_eq(record_echo("intel", hello_q, rec, sizeof(rec)), 7);
	snprintf(other, sizeof(other), "%s/other.bin", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", ECHO_ROM, other);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_ne(fd = open(other, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "\x90", 1, 0x100), 1);
	close(fd);
	ck_assert_int_eq(replay("--bios", other, &c), 1);
	ck_assert_msg(strstr(c.ebuf, "differs from the recorded one") != NULL,
	    "%s", c.ebuf);
	ck_assert_str_eq(c.obuf, "");
	/* The same bytes under another name are fine. */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", ECHO_ROM, other);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(replay("--bios", other, &c), 0);
	ck_assert_str_eq(c.obuf, rec);
	/* A kernel for a BIOS log. */
	ck_assert_int_eq(replay("-k", other, &c), 1);
}
END_TEST

START_TEST(test_usage_errors_exit_2)
{
	struct child c;
	const char *noarg[] = { "vmmsim", "replay", NULL };
	const char *badopt[] = { "vmmsim", "run", "--bios", ECHO_ROM,
	    "--checkpoint-exits", "5", NULL };

	spawn(&c, noarg);
	ck_assert_int_eq(finish(&c), 2);
	spawn(&c, badopt);
	ck_assert_int_eq(finish(&c), 2);
	ck_assert_msg(strstr(c.ebuf, "go with --record") != NULL, "%s",
	    c.ebuf);
}
END_TEST

/* --- replay --from SNAPSHOT ------------------------------------------ */

#define CK_BOUNDARY		(8 + 8)		/* seq, then the point's exitno */

/*
 * Record the echo guest with a snapshot at 1 s of device time: "hello"
 * right after "ready", then, 1.6 s later in host time (a halted guest's
 * device time follows host time while recording), "two\n" and "q".  So the snapshot falls between the echo of "hello" and the
 * arrival of "two\n".  The log goes to log, the snapshot to snap.
 */
static void
record_with_snapshot(const char *vendor, const char *log, const char *snap)
{
	char at[160];
	const char *argv[] = { "vmmsim", "run", "-m", "16M", "--vendor",
	    vendor, "--bios", ECHO_ROM, "--record", log,
	    "--checkpoint-exits", "4", "--snapshot-at", at, NULL };
	struct child c;
	int i;

	(void)unlink(snap);
	snprintf(at, sizeof(at), "1s:%s", snap);
	spawn(&c, argv);
	ck_assert_msg(pump(&c, "ready\n") == 0, "no ready: %s", c.ebuf);
	send_input(&c, "hello");
	ck_assert_int_eq(pump(&c, "ready\nhello"), 0);
	/*
	 * The halted guest's time runs at about the host's pace; the next
	 * line goes in once the snapshot (at 1 s) exists, however slowly a
	 * loaded host got there.
	 */
	for (i = 0; i < 600 && access(snap, F_OK) != 0; i++)
		usleep(100000);
	ck_assert_msg(access(snap, F_OK) == 0, "no snapshot %s", snap);
	send_input(&c, "two\n");
	ck_assert_int_eq(pump(&c, "ready\nhellotwo\n"), 0);
	send_input(&c, "q");
	ck_assert_msg(finish(&c) == 7, "recording: %s", c.ebuf);
	ck_assert_str_eq(c.obuf, "ready\nhellotwo\nq");
}

/* vmmsim replay [-v] --from SNAP LOG: its status. */
static int
replay_from(const char *snap, const char *log, struct child *c)
{
	const char *argv[] = { "vmmsim", "replay", "-v", "--from", snap, log,
	    NULL };

	spawn(c, argv);
	return (finish(c));
}

static uint64_t
le64(const uint8_t *p)
{
	return ((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	char *saved = strdup(logpath);
	uint8_t *buf;

	snprintf(logpath, sizeof(logpath), "%s", path);
	buf = read_log(len);
	snprintf(logpath, sizeof(logpath), "%s", saved);
	free(saved);
	return (buf);
}

/* The boundary a snapshot was taken after (docs/snapshot-format.md). */
static uint64_t
snap_boundary(const char *snap)
{
	uint8_t *buf;
	size_t len, off;
	uint64_t b;

	buf = read_file(snap, &len);
	ck_assert_uint_gt(len, 16 + 12);
	off = 16 + 12 + (size_t)le64(buf + 16 + 4);	/* the point section */
	ck_assert_uint_lt(off + 12 + 16, len);
	ck_assert_uint_eq(le32(buf + off), 2);
	b = le64(buf + off + 12 + 8);
	free(buf);
	return (b);
}

/* The seq of the first checkpoint in the log after boundary b. */
static int
first_ckpt_after(uint64_t b)
{
	uint8_t *buf;
	size_t len, off;
	int n;

	buf = read_log(&len);
	for (n = 0; (off = find_record(buf, len, T_CKPT, n)) != 0; n++)
		if (le64(buf + off + CK_BOUNDARY) > b)
			break;
	ck_assert_uint_ne(off, 0);
	ck_assert_int_eq((int)le64(buf + off), n);	/* seq */
	free(buf);
	return (n);
}

START_TEST(test_replay_from_snapshot_feeds_only_later_inputs)
{
	struct child c;
	char snap[160];

	snprintf(snap, sizeof(snap), "%s/s.snap", dir);
	record_with_snapshot(vendors[_i], logpath, snap);
	ck_assert_msg(replay_from(snap, logpath, &c) == 0, "%s", c.ebuf);
	/* The console from the snapshot on, as the recording had it. */
	ck_assert_str_eq(c.obuf, "two\nq");
	/* "hello" came before: skipped; "two\n" and "q" fed. */
	ck_assert_msg(strstr(c.ebuf, "skipping 1 inputs") != NULL, "%s",
	    c.ebuf);
	ck_assert_msg(strstr(c.ebuf, ", 2 inputs and the end (debug exit") !=
	    NULL, "%s", c.ebuf);
	/* And the whole log still replays from power-on. */
	ck_assert_int_eq(replay(NULL, NULL, &c), 0);
	ck_assert_str_eq(c.obuf, "ready\nhellotwo\nq");
}
END_TEST

START_TEST(test_replay_from_snapshot_checks_only_later_checkpoints)
{
	struct child c;
	char snap[160], want[64];
	int first;

	snprintf(snap, sizeof(snap), "%s/s.snap", dir);
	record_with_snapshot(vendors[_i], logpath, snap);
	first = first_ckpt_after(snap_boundary(snap));
	ck_assert_int_gt(first, 0);
	/* A checkpoint before the snapshot: a full replay catches it ... */
	flip_in_ckpt(0, CK_REGS + 8 * REG_RIP);
	ck_assert_int_eq(replay(NULL, NULL, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "checkpoint 0: register rip") != NULL,
	    "%s", c.ebuf);
	/* ... a replay from the snapshot never looks at it. */
	ck_assert_msg(replay_from(snap, logpath, &c) == 0, "%s", c.ebuf);
	ck_assert_str_eq(c.obuf, "two\nq");
	/* The first checkpoint after the snapshot is verified. */
	flip_in_ckpt(first, CK_REGS + 8 * REG_RAX);
	ck_assert_int_eq(replay_from(snap, logpath, &c), 3);
	snprintf(want, sizeof(want), "checkpoint %d: register rax is ", first);
	ck_assert_msg(strstr(c.ebuf, want) != NULL, "want '%s': %s", want,
	    c.ebuf);
}
END_TEST

START_TEST(test_replay_from_changed_later_input_diverges)
{
	struct child c;
	char snap[160];
	uint8_t *buf;
	size_t len, off;

	snprintf(snap, sizeof(snap), "%s/s.snap", dir);
	record_with_snapshot(vendors[_i], logpath, snap);
	buf = read_log(&len);
	off = find_record(buf, len, T_INPUT, 1);	/* "two\n" */
	ck_assert_uint_ne(off, 0);
	ck_assert_int_eq(buf[off + POINT_LEN + 4], 't');
	buf[off + POINT_LEN + 4] = 'T';
	write_log(buf, len);
	free(buf);
	ck_assert_int_eq(replay_from(snap, logpath, &c), 3);
	ck_assert_msg(strstr(c.ebuf, "diverged at exit") != NULL, "%s",
	    c.ebuf);
}
END_TEST

/* vmmsim replay --from: status 1 and a message containing what. */
static void
from_refused(const char *snap, const char *log, const char *what)
{
	struct child c;

	ck_assert_int_eq(replay_from(snap, log, &c), 1);
	ck_assert_msg(strstr(c.ebuf, what) != NULL, "want '%s': %s", what,
	    c.ebuf);
	ck_assert_str_eq(c.obuf, "");
}

START_TEST(test_replay_from_foreign_snapshot_is_refused)
{
	char snap[160], amd[160], amdlog[160], plain[160], arg[200];
	char other[160], junk[160], shortlog[160], rec[4096];
	const char *argv[] = { "vmmsim", "run", "-m", "16M", "--bios",
	    ECHO_ROM, "--snapshot-at", arg, NULL };
	const char *argv2[] = { "vmmsim", "run", "-m", "16M", "--bios",
	    BUILDDIR "/testdata/snap_rom.bin", "--snapshot-at", arg, NULL };
	struct child c;
	uint8_t *buf;
	size_t len;
	int fd;

	snprintf(snap, sizeof(snap), "%s/s.snap", dir);
	snprintf(amd, sizeof(amd), "%s/amd.snap", dir);
	snprintf(amdlog, sizeof(amdlog), "%s/amd.log", dir);
	snprintf(plain, sizeof(plain), "%s/plain.snap", dir);
	snprintf(other, sizeof(other), "%s/other.snap", dir);
	snprintf(junk, sizeof(junk), "%s/junk.snap", dir);
	snprintf(shortlog, sizeof(shortlog), "%s/short.log", dir);
	record_with_snapshot("intel", logpath, snap);
	record_with_snapshot("amd", amdlog, amd);
	from_refused(amd, logpath, "taken on an amd vcpu, this run is intel");
	from_refused(snap, amdlog, "taken on an intel vcpu, this run is amd");

	/* The same guest, not recorded: no boundaries to place it by. */
	snprintf(arg, sizeof(arg), "1ms:%s", plain);
	spawn(&c, argv);
	ck_assert_int_eq(pump(&c, "ready\n"), 0);
	usleep(50000);
	send_input(&c, "abq");
	ck_assert_int_eq(finish(&c), 7);
	from_refused(plain, logpath, "in a run that was not recorded");

	/* Another image. */
	snprintf(arg, sizeof(arg), "10ms:%s", other);
	spawn(&c, argv2);
	ck_assert_int_eq(finish(&c), 1);
	from_refused(other, logpath, "another machine");

	/* A log that ends before the snapshot was taken. */
	snprintf(logpath, sizeof(logpath), "%s", shortlog);
	ck_assert_int_eq(record_echo("intel", hello_q, rec, sizeof(rec)), 7);
	snprintf(logpath, sizeof(logpath), "%s/run.log", dir);
	from_refused(snap, shortlog, "after the log's end");

	/* Not a snapshot; a truncated one. */
	ck_assert_int_ne(fd = open(junk, O_WRONLY | O_CREAT, 0644), -1);
	ck_assert_int_eq(write(fd, "VMMSIMRL garbage", 16), 16);
	close(fd);
	from_refused(junk, logpath, "not a vmmsim snapshot");
	buf = read_file(snap, &len);
	ck_assert_int_ne(fd = open(junk, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(write(fd, buf, len / 2), (ssize_t)(len / 2));
	close(fd);
	free(buf);
	from_refused(junk, logpath, "truncated");
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tc, test_replay_reproduces_recorded_output, 0, 2);
	tcase_add_loop_test(tc, test_ten_replays_are_identical, 0, 2);
	tcase_add_loop_test(tc,
	    test_flipped_register_is_caught_at_its_checkpoint, 0, 2);
	tcase_add_loop_test(tc, test_flipped_memory_hash_is_caught, 0, 2);
	tcase_add_loop_test(tc, test_flipped_memory_block_names_its_address,
	    0, 2);
	tcase_add_loop_test(tc, test_flipped_device_hash_is_caught, 0, 2);
	tcase_add_loop_test(tc, test_changed_input_byte_diverges, 0, 2);
	tcase_add_loop_test(tc, test_stop_of_spinning_guest_replays, 0, 2);
	tcase_add_test(tc, test_truncated_log_is_refused);
	tcase_add_test(tc, test_garbage_and_foreign_logs_are_refused);
	tcase_add_test(tc, test_changed_image_is_refused);
	tcase_add_test(tc, test_usage_errors_exit_2);
	tcase_add_loop_test(tc,
	    test_replay_from_snapshot_feeds_only_later_inputs, 0, 2);
	tcase_add_loop_test(tc,
	    test_replay_from_snapshot_checks_only_later_checkpoints, 0, 2);
	tcase_add_loop_test(tc, test_replay_from_changed_later_input_diverges,
	    0, 2);
	tcase_add_test(tc, test_replay_from_foreign_snapshot_is_refused);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
