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
 * vmmsim run's insides, shared by run.c (the options and the VM's life
 * on the vcpu thread) and run_io.c (the libuv loop on the main thread:
 * the console, the control socket, signals).
 *
 * Two threads.  The vcpu thread runs runvm_run(): vmrun_loop() and the
 * reboots between.  The main thread runs the uv loop and talks to it only
 * through vmrun's thread-safe calls (vmrun_stop, vmrun_input,
 * vmrun_status) and the console's output queue below.
 */

#ifndef VMMSIM_TOOLS_RUN_IMPL_H
#define VMMSIM_TOOLS_RUN_IMPL_H

#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "devices/guestmem.h"
#include "devices/loader.h"
#include "devices/vmrun.h"
#include "devices/xapic.h"
#include "ctl.h"
#include "replay_log.h"

#define RUN_CONSOLE_BUF	65536	/* guest output queued for the loop */
#define RUN_INPUT_BUF	1024	/* one read of console input */

/* Exit statuses besides the guest's own (debug-exit port 0xF4). */
#define RUN_EXIT_OK		0	/* guest reset or poweroff, or stopped */
#define RUN_EXIT_FAILED		1	/* the VM could not run on */
#define RUN_EXIT_USAGE		2
#define RUN_EXIT_TIMEOUT	124	/* --max-time, as timeout(1) */

/* --console forms. */
#define CON_STDIO	0	/* stdout; input from stdin */
#define CON_PTY		1	/* a new pseudo-terminal */
#define CON_UNIX	2	/* unix:PATH, a listening socket */
#define CON_FILE	3	/* file:PATH or PATH: output only */

/* Where console input comes from (struct run_console's in_kind). */
#define IN_NONE		0
#define IN_STREAM	1	/* stdin as a tty or a pipe/socket */
#define IN_FILE		2	/* stdin redirected from a file */
#define IN_PTY		3	/* the pty master */
#define IN_SOCKET	4	/* clients of the unix:PATH socket */

struct run_opts {
	uint64_t		 mem;
	const char		*kernel;
	const char		*initrd;
	const char		*append;
	const char		*bios;
	struct vmrun_disk	 disks[VMRUN_MAX_DISKS];
	unsigned		 ndisks;
	const char		*console;	/* as given */
	const char		*trace;		/* --trace FILE, or NULL */
	const char		*snap;		/* --snap all|N,M,... */
	const char		*name;		/* --name, or NULL */
	uint64_t		 max_time_ns;
	int			 vendor;
	int			 bare_metal;	/* --bare-metal */
	int			 reboot;
	int			 guest_unpack;	/* --guest-unpack */
	int			 verbose;
	/* Record and replay (replay.c). */
	const char		*record;	/* --record FILE, or NULL */
	uint64_t		 ckpt_exits;	/* --checkpoint-exits */
	uint64_t		 ckpt_time_ns;	/* --checkpoint-time */
	uint64_t		 quantum_ns;	/* --quantum */
	int64_t			 rtc_start;
	uint64_t		 rnd_seed;
	/* Snapshots (snapshot.c). */
	const char		*snap_path;	/* --snapshot-at TIME:FILE */
	uint64_t		 snap_at_ns;
	const char		*restore;	/* --restore FILE */
	int			 state_hash;	/* --state-hash */
};

/* Which of record and replay (struct run_det's mode). */
#define DET_NONE	0
#define DET_RECORD	1
#define DET_REPLAY	2

/* Exit statuses of vmmsim replay. */
#define REPLAY_EXIT_OK		0	/* every checkpoint and the end matched */
#define REPLAY_EXIT_FAILED	1	/* refused the log, or could not run */
#define REPLAY_EXIT_USAGE	2
#define REPLAY_EXIT_DIVERGED	3	/* the run differs from the log */

/*
 * The record and replay state, all of it the vcpu thread's once the run
 * has started (the hooks of struct vmrun_det run there).
 */
struct run_det {
	int			 mode;		/* DET_* */
	struct vmrun_det	 ops;
	struct rlog_ident	 ident;		/* record: what goes in */
	struct rlog_writer	 w;		/* record */
	struct rlog		*log;		/* replay: the whole log */
	size_t			 in_next;	/* replay: next input record */
	size_t			 idle_next;	/* replay: next idle record */
	size_t			 ckpt_next;	/* replay: next checkpoint */
	size_t			 ckpt_first;	/* replay --from: skipped */
	size_t			 in_first;	/*   checkpoints and inputs */
	uint64_t		 ckpt_seq;	/* record: checkpoints written */
	uint64_t		 ckpt_exit_at;	/* the next one, by exits */
	uint64_t		 ckpt_time_at;	/*   and by device time */
	struct vmrun_point	 last;		/* the last boundary */
	uint32_t		 nblocks;	/* memory hash blocks */
	uint64_t		*blocks;	/* scratch for one checkpoint */
	int			 diverged;	/* replay: reported */
	int			 write_error;	/* record: the log failed */
};

/* A connection to the control socket or the unix console socket. */
struct run_client {
	uv_pipe_t		 h;		/* first: the handle's address */
	struct run_vm		*vm;
	struct run_client	*next;
	int			 ctl;		/* control, else console */
	int			 want_stopped;	/* said "stop": tell when done */
	size_t			 n;
	char			 line[CTL_LINE_MAX];
};

/*
 * The console.  Locking: [I] set before the vcpu thread starts; [o]
 * under out_lock; [l] the loop thread only.
 */
struct run_console {
	int			 inited;	/* console_open() began */
	int			 kind;		/* [I] CON_* */
	const char		*path;		/* [I] file or socket path */
	int			 fd;		/* [I] output: stdout, file, pty */
	int			 close_fd;	/* [I] fd is ours */
	int			 slave;		/* [I] pty: keeps the line up */
	int			 in_kind;	/* [I] IN_* */
	char			 desc[CTL_LINE_MAX];	/* [I] for status */

	/* Guest output, from the vcpu thread to the loop. */
	pthread_mutex_t		 out_lock;
	pthread_cond_t		 out_cv;	/* room, or all written */
	uint8_t			 out[RUN_CONSOLE_BUF];	/* [o] */
	size_t			 out_len;	/* [o] */
	int			 out_busy;	/* [o] the loop is writing */
	uint8_t			 wbuf[RUN_CONSOLE_BUF];	/* [l] being written */

	/* Input, on the loop thread. */
	uint8_t			 rbuf[RUN_INPUT_BUF];		/* [l] */
	uint8_t			 pend[2 * RUN_INPUT_BUF + 1];	/* [l] */
	size_t			 npend;		/* [l] the VM's queue was full */
	int			 paused;	/* [l] reading stopped for it */
	int			 eof;		/* [l] input ended, pend left */
	int			 fs_busy;	/* [l] a uv_fs_read in flight */
	int			 escape;	/* [l] "~." handling (a tty) */
	int			 bol;		/* [l] at the start of a line */
	int			 tilde;		/* [l] a '~' held back */
	int			 raw;		/* [l] the tty is in raw mode */
};

/* One VM and what surrounds it. */
struct run_vm {
	const struct run_opts	*o;
	char			 name[CTL_NAME_MAX + 1];
	struct run_console	 con;
	struct guestmem		 gm;
	int			 gm_alloc;
	struct loader_image	 image;		/* kernel or BIOS, kept for */
	struct loader_image	 initrd;	/*   loading again at reboot */
	struct loader_linux_cache lcache;	/* the kernel unpacked once */
	struct vcpu_reg_state	 start;		/* the image's start state */
	int			 fd;
	uint32_t		 vm_id;
	int			 created;
	struct vmrun		*r;
	struct xapic		 xapic;		/* bare metal: its page */
	unsigned		 boots;		/* atomic: the vcpu thread's */
	int			 status;	/* runvm_run()'s, once joined */
	const char		*stop_why;	/* atomic: set before the stop */
	struct run_det		 det;

	/* The loop side (run_io.c), the main thread's. */
	uv_loop_t		 loop;
	int			 loop_init;
	uv_thread_t		 thread;
	int			 thread_started;
	int			 done;		/* the vcpu thread ended */
	uv_async_t		 a_done;	/* the vcpu thread ended */
	uv_async_t		 a_out;		/* guest output queued */
	uv_async_t		 a_space;	/* the input queue has room */
	uv_signal_t		 s_int, s_term, s_hup;
	uv_tty_t		 in_tty;
	uv_pipe_t		 in_pipe;
	uv_stream_t		*in_stream;	/* one of the two, or NULL */
	uv_poll_t		 in_poll;	/* the pty master */
	uv_fs_t			 in_fs;		/* stdin from a file */
	uv_pipe_t		 con_srv;	/* unix:PATH */
	int			 con_bound;
	uv_pipe_t		 ctl_srv;	/* the control socket */
	char			 ctl_path[CTL_LINE_MAX];
	int			 ctl_bound;
	struct run_client	*clients;
};

/* run.c: the VM, on the vcpu thread once started. */
int	runvm_setup(struct run_vm *);
void	runvm_teardown(struct run_vm *);
int	runvm_run(struct run_vm *);
const char *runvm_vendor(const struct run_vm *);

/* replay.c: record and replay around runvm_*. */
int	det_setup(struct run_vm *);		/* after the images are read */
int	det_resume(struct run_vm *, const struct vmrun_point *);	/* --restore */
void	det_finish(struct run_vm *, const struct vmrun_result *, int status,
	    int error);
void	det_teardown(struct run_vm *);
void	replay_console_out(void *arg, uint8_t byte);

/* run_io.c: the loop side. */
int	console_open(struct run_vm *);
void	console_close(struct run_vm *);
void	console_out(void *arg, uint8_t byte);	/* vcpu thread */
void	console_sync(struct run_vm *);		/* vcpu thread */
void	console_input_space(void *arg);		/* vcpu thread */
int	ctl_listen(struct run_vm *);
int	loop_start(struct run_vm *);
void	stop_signals(int);
void	loop_run(struct run_vm *);
void	loop_fini(struct run_vm *);

#endif /* VMMSIM_TOOLS_RUN_IMPL_H */
