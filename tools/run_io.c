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
 * vmmsim run's event loop (run_impl.h): libuv on the main thread owns the
 * console (stdio, a pty, a unix socket or a file), the control socket,
 * SIGINT/SIGTERM/SIGHUP, and the end of the vcpu thread.
 *
 * Guest output goes from the vcpu thread into a queue (out_lock) that
 * the loop writes out when woken by an async handle; a full queue holds
 * the vcpu thread back, so nothing is dropped, and before the vcpu thread
 * says anything on stderr or ends it waits until the queue is written
 * (console_sync()).  Console input goes the other way through
 * vmrun_input(); when the VM's queue is full the loop stops reading until
 * the vcpu thread says there is room (a_space).
 *
 * Device timers are not here: they run on virtual time inside vmrun, so
 * that no host clock reaches the guest.  Disk I/O is not here either: the
 * virtio-blk device reads and writes its image synchronously on the vcpu
 * thread, as vmd's vioblk does, so that a request completes at the same
 * virtual time in every run; handing it to the loop (uv_fs_*) would make
 * completion times follow the host.
 */

#define _XOPEN_SOURCE	700	/* posix_openpt, grantpt, ptsname */
#define _DEFAULT_SOURCE

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmmsim.h"
#include "run_impl.h"

#define CTL_BACKLOG		8
#define CLIENT_WRITE_MAX	(1024 * 1024)	/* then a slow client loses */

static void	input_resume(struct run_vm *);
static void	client_close(struct run_client *);

/* --- guest output: vcpu thread -> loop --------------------------------- */

/* Queue one byte of guest output (vmrun's console callback). */
void
console_out(void *arg, uint8_t b)
{
	struct run_vm *vm = arg;
	struct run_console *c = &vm->con;
	int wake;

	pthread_mutex_lock(&c->out_lock);
	while (c->out_len == sizeof(c->out))
		pthread_cond_wait(&c->out_cv, &c->out_lock);
	c->out[c->out_len++] = b;
	wake = c->out_len == 1;
	pthread_mutex_unlock(&c->out_lock);
	if (wake)
		uv_async_send(&vm->a_out);
}

/* Wait until the loop has written every byte queued so far. */
void
console_sync(struct run_vm *vm)
{
	struct run_console *c = &vm->con;

	pthread_mutex_lock(&c->out_lock);
	while (c->out_len > 0 || c->out_busy)
		pthread_cond_wait(&c->out_cv, &c->out_lock);
	pthread_mutex_unlock(&c->out_lock);
}

/* write(2) all of it, waiting if the descriptor was made non-blocking. */
static void
write_all(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0)
			return;		/* a closed stdout: nothing to do */
		buf += n;
		len -= (size_t)n;
	}
}

static void
client_write_done(uv_write_t *req, int status)
{
	(void)status;
	free(req);			/* the data follows the request */
}

/* Copy buf to a client; a client too slow to keep up loses output. */
static void
client_write(struct run_client *cl, const void *buf, size_t len)
{
	uv_write_t *req;
	uv_buf_t b;

	if (uv_is_closing((uv_handle_t *)&cl->h) ||
	    uv_stream_get_write_queue_size((uv_stream_t *)&cl->h) >
	    CLIENT_WRITE_MAX)
		return;
	if ((req = malloc(sizeof(*req) + len)) == NULL)
		return;
	memcpy(req + 1, buf, len);
	b = uv_buf_init((char *)(req + 1), (unsigned)len);
	if (uv_write(req, (uv_stream_t *)&cl->h, &b, 1,
	    client_write_done) != 0)
		free(req);
}

static void
sink_write(struct run_vm *vm, const uint8_t *buf, size_t len)
{
	struct run_console *c = &vm->con;
	struct run_client *cl;
	ssize_t n;

	switch (c->kind) {
	case CON_STDIO:
	case CON_FILE:
		write_all(c->fd, buf, len);
		break;
	case CON_PTY:
		/* Nobody reading: the pty's buffer fills and the rest drops. */
		while (len > 0 && ((n = write(c->fd, buf, len)) > 0 ||
		    (n == -1 && errno == EINTR))) {
			if (n > 0) {
				buf += n;
				len -= (size_t)n;
			}
		}
		break;
	case CON_UNIX:
		for (cl = vm->clients; cl != NULL; cl = cl->next)
			if (!cl->ctl)
				client_write(cl, buf, len);
		break;
	}
}

/* Write out what the vcpu thread queued; on the loop thread. */
static void
console_drain(struct run_vm *vm)
{
	struct run_console *c = &vm->con;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&c->out_lock);
		n = c->out_len;
		if (n == 0) {
			pthread_mutex_unlock(&c->out_lock);
			return;
		}
		memcpy(c->wbuf, c->out, n);
		c->out_len = 0;
		c->out_busy = 1;
		pthread_cond_broadcast(&c->out_cv);
		pthread_mutex_unlock(&c->out_lock);

		sink_write(vm, c->wbuf, n);

		pthread_mutex_lock(&c->out_lock);
		c->out_busy = 0;
		pthread_cond_broadcast(&c->out_cv);
		pthread_mutex_unlock(&c->out_lock);
	}
}

static void
on_out(uv_async_t *a)
{
	console_drain(a->data);
}

/* --- console input: loop -> vcpu thread -------------------------------- */

/* Stop asking for a stop twice; note why for the vcpu thread's message. */
static void
request_stop(struct run_vm *vm, const char *why)
{
	if (vm->done || vm->r == NULL ||
	    __atomic_load_n(&vm->stop_why, __ATOMIC_ACQUIRE) != NULL)
		return;
	__atomic_store_n(&vm->stop_why, why, __ATOMIC_RELEASE);
	vmrun_stop(vm->r);
}

/*
 * On a terminal, "~." at the start of a line stops the VM, as cu(1)'s
 * escape does (the terminal is raw, so ^C reaches the guest); "~~" sends
 * one '~'.  out has room for n + 1 bytes.
 */
static size_t
escape_filter(struct run_vm *vm, const uint8_t *in, size_t n, uint8_t *out)
{
	struct run_console *c = &vm->con;
	size_t i, o = 0;
	uint8_t ch;

	for (i = 0; i < n; i++) {
		ch = in[i];
		if (c->tilde) {
			c->tilde = 0;
			if (ch == '.') {
				request_stop(vm, "~. on the console");
				return (o);
			}
			out[o++] = '~';
			if (ch == '~') {
				c->bol = 0;
				continue;
			}
		} else if (c->bol && ch == '~') {
			c->tilde = 1;
			continue;
		}
		out[o++] = ch;
		c->bol = ch == '\r' || ch == '\n';
	}
	return (o);
}

static void
input_pause(struct run_vm *vm)
{
	struct run_client *cl;

	vm->con.paused = 1;
	if (vm->in_stream != NULL)
		uv_read_stop(vm->in_stream);
	if (vm->con.in_kind == IN_PTY)
		uv_poll_stop(&vm->in_poll);
	for (cl = vm->clients; cl != NULL; cl = cl->next)
		if (!cl->ctl && !uv_is_closing((uv_handle_t *)&cl->h))
			uv_read_stop((uv_stream_t *)&cl->h);
}

/* No more input will come: the guest's halt may now be final. */
static void
input_eof(struct run_vm *vm)
{
	if (vm->con.npend > 0) {
		vm->con.eof = 1;	/* after the rest has gone in */
		return;
	}
	if (vm->r != NULL && !vm->done)
		vmrun_input_close(vm->r);
}

/* Hand bytes to the VM; what it cannot take waits, and reading stops. */
static void
input_feed(struct run_vm *vm, const uint8_t *buf, size_t len)
{
	struct run_console *c = &vm->con;
	uint8_t tmp[RUN_INPUT_BUF + 1];
	size_t chunk, n, took;

	if (vm->done || vm->r == NULL)
		return;
	while (len > 0) {
		chunk = len > RUN_INPUT_BUF ? RUN_INPUT_BUF : len;
		if (c->escape)
			n = escape_filter(vm, buf, chunk, tmp);
		else {
			memcpy(tmp, buf, chunk);
			n = chunk;
		}
		buf += chunk;
		len -= chunk;
		took = vmrun_input(vm->r, tmp, n);
		if (took < n) {
			/* Bounded: reading stops until this has gone in. */
			if (n - took > sizeof(c->pend) - c->npend)
				n = took + sizeof(c->pend) - c->npend;
			memcpy(c->pend + c->npend, tmp + took, n - took);
			c->npend += n - took;
			input_pause(vm);
		}
	}
}

/* The VM's input queue has room again (a_space, from the vcpu thread). */
static void
on_space(uv_async_t *a)
{
	struct run_vm *vm = a->data;
	struct run_console *c = &vm->con;
	size_t took;

	if (vm->done || c->npend == 0)
		return;
	took = vmrun_input(vm->r, c->pend, c->npend);
	memmove(c->pend, c->pend + took, c->npend - took);
	c->npend -= took;
	if (c->npend > 0)
		return;
	if (c->eof)
		vmrun_input_close(vm->r);
	else
		input_resume(vm);
}

/* Called on the vcpu thread (vmrun's input_space). */
void
console_input_space(void *arg)
{
	struct run_vm *vm = arg;

	uv_async_send(&vm->a_space);
}

/* Reads go to one buffer: each is handed on before the next. */
static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct run_vm *vm = h->data;

	(void)hint;
	buf->base = (char *)vm->con.rbuf;
	buf->len = sizeof(vm->con.rbuf);
}

static void
on_client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct run_client *cl = h->data;

	(void)hint;
	buf->base = (char *)cl->vm->con.rbuf;
	buf->len = sizeof(cl->vm->con.rbuf);
}

/* stdin as a tty or a pipe. */
static void
on_stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run_vm *vm = s->data;

	if (n > 0)
		input_feed(vm, (const uint8_t *)buf->base, (size_t)n);
	else if (n < 0) {
		/* EOF, or a read error: either way no more input. */
		uv_read_stop(s);
		vm->in_stream = NULL;
		input_eof(vm);
	}
}

static void	fs_read_next(struct run_vm *);

/* stdin redirected from a file: a chain of uv_fs_read. */
static void
on_fs_read(uv_fs_t *req)
{
	struct run_vm *vm = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	vm->con.fs_busy = 0;
	if (n <= 0) {
		vm->con.in_kind = IN_NONE;
		input_eof(vm);
		return;
	}
	input_feed(vm, vm->con.rbuf, (size_t)n);
	fs_read_next(vm);
}

static void
fs_read_next(struct run_vm *vm)
{
	uv_buf_t b;

	if (vm->done || vm->con.paused || vm->con.fs_busy ||
	    vm->con.in_kind != IN_FILE)
		return;
	b = uv_buf_init((char *)vm->con.rbuf, sizeof(vm->con.rbuf));
	vm->in_fs.data = vm;
	if (uv_fs_read(&vm->loop, &vm->in_fs, STDIN_FILENO, &b, 1, -1,
	    on_fs_read) == 0)
		vm->con.fs_busy = 1;
	else {
		vm->con.in_kind = IN_NONE;
		input_eof(vm);
	}
}

/* The pty master is readable: what the user typed on the slave side. */
static void
on_pty(uv_poll_t *p, int status, int events)
{
	struct run_vm *vm = p->data;
	ssize_t n;

	(void)events;
	if (status < 0)
		return;
	n = read(vm->con.fd, vm->con.rbuf, sizeof(vm->con.rbuf));
	if (n > 0)
		input_feed(vm, vm->con.rbuf, (size_t)n);
}

static void	on_client_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	on_client_alloc(uv_handle_t *, size_t, uv_buf_t *);

static void
input_resume(struct run_vm *vm)
{
	struct run_client *cl;

	vm->con.paused = 0;
	if (vm->in_stream != NULL)
		uv_read_start(vm->in_stream, on_alloc, on_stdin_read);
	if (vm->con.in_kind == IN_PTY)
		uv_poll_start(&vm->in_poll, UV_READABLE, on_pty);
	if (vm->con.in_kind == IN_FILE)
		fs_read_next(vm);
	for (cl = vm->clients; cl != NULL; cl = cl->next)
		if (!cl->ctl && !uv_is_closing((uv_handle_t *)&cl->h))
			uv_read_start((uv_stream_t *)&cl->h,
			    on_client_alloc, on_client_read);
}

/* --- the console's forms ------------------------------------------------ */

/* What stdin can give: a tty we own, a pipe or socket, a file, nothing. */
static int
stdin_kind(void)
{
	switch (uv_guess_handle(STDIN_FILENO)) {
	case UV_TTY:
		/* In the background, raw mode would stop us (SIGTTOU). */
		if (tcgetpgrp(STDIN_FILENO) != getpgrp())
			return (IN_NONE);
		return (IN_STREAM);
	case UV_NAMED_PIPE:
	case UV_TCP:
		return (IN_STREAM);
	case UV_FILE:
		return (IN_FILE);
	default:
		return (IN_NONE);
	}
}

/* A pseudo-terminal in raw mode; we hold the slave so that it stays up. */
static int
pty_open(struct run_console *c)
{
	struct termios t;
	const char *name;
	int fd, slave = -1;

	if ((fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(fd) == -1 || unlockpt(fd) == -1 ||
	    (name = ptsname(fd)) == NULL ||
	    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    tcgetattr(slave, &t) == -1) {
		fprintf(stderr, "vmmsim run: pty: %s\n", strerror(errno));
		if (fd != -1)
			close(fd);
		if (slave != -1)
			close(slave);
		return (-1);
	}
	/* No echo, no line editing: the guest is the far end of a line. */
	cfmakeraw(&t);
	(void)tcsetattr(slave, TCSANOW, &t);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	snprintf(c->desc, sizeof(c->desc), "pty:%s", name);
	fprintf(stderr, "vmmsim run: console on %s\n", name);
	c->fd = fd;
	c->close_fd = 1;
	c->slave = slave;
	return (0);
}

/*
 * Parse --console and open what needs no loop: stdio (stdout, stdin as
 * whatever it is), pty, file:PATH or a bare PATH (output only, created or
 * truncated).  unix:PATH is bound in loop_start().
 */
int
console_open(struct run_vm *vm)
{
	struct run_console *c = &vm->con;
	const char *how = vm->o->console;
	int fd;

	pthread_mutex_init(&c->out_lock, NULL);
	pthread_cond_init(&c->out_cv, NULL);
	c->inited = 1;
	c->fd = -1;
	c->slave = -1;
	c->bol = 1;
	if (strcmp(how, "stdio") == 0) {
		c->kind = CON_STDIO;
		c->fd = STDOUT_FILENO;
		c->in_kind = stdin_kind();
		snprintf(c->desc, sizeof(c->desc), "stdio");
		return (0);
	}
	if (strcmp(how, "pty") == 0) {
		c->kind = CON_PTY;
		c->in_kind = IN_PTY;
		return (pty_open(c));
	}
	if (strncmp(how, "unix:", 5) == 0) {
		c->kind = CON_UNIX;
		c->path = how + 5;
		c->in_kind = IN_SOCKET;
		if (*c->path == '\0') {
			fprintf(stderr, "vmmsim run: --console unix: needs "
			    "a path\n");
			return (-1);
		}
		snprintf(c->desc, sizeof(c->desc), "unix:%s", c->path);
		return (0);
	}
	c->kind = CON_FILE;
	c->path = strncmp(how, "file:", 5) == 0 ? how + 5 : how;
	c->in_kind = IN_NONE;
	if ((fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		fprintf(stderr, "vmmsim run: console %s: %s\n", c->path,
		    strerror(errno));
		return (-1);
	}
	snprintf(c->desc, sizeof(c->desc), "file:%s", c->path);
	c->fd = fd;
	c->close_fd = 1;
	return (0);
}

void
console_close(struct run_vm *vm)
{
	struct run_console *c = &vm->con;

	if (!c->inited)
		return;
	if (c->close_fd && c->fd != -1)
		close(c->fd);
	if (c->slave != -1)
		close(c->slave);
	c->fd = c->slave = -1;
	pthread_cond_destroy(&c->out_cv);
	pthread_mutex_destroy(&c->out_lock);
	c->inited = 0;
}

/* --- clients: the control socket and unix:PATH ---------------------------- */

static void
client_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
client_close(struct run_client *cl)
{
	struct run_vm *vm = cl->vm;
	struct run_client **pp;

	for (pp = &vm->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	if (!uv_is_closing((uv_handle_t *)&cl->h))
		uv_close((uv_handle_t *)&cl->h, client_closed);
}

static void
client_puts(struct run_client *cl, const char *s)
{
	client_write(cl, s, strlen(s));
}

/*
 * "status": one line of key=value, console last (its value runs to the
 * end of the line: a path may hold spaces).
 */
static void
ctl_status(struct run_client *cl)
{
	struct run_vm *vm = cl->vm;
	struct vmrun_status st;
	char line[CTL_LINE_MAX + 256];
	const char *state;

	memset(&st, 0, sizeof(st));
	if (vm->r != NULL)
		vmrun_status(vm->r, &st);
	state = vmrun_state_name(st.state);
	if (__atomic_load_n(&vm->stop_why, __ATOMIC_ACQUIRE) != NULL &&
	    !vm->done)
		state = "stopping";
	snprintf(line, sizeof(line), "name=%s pid=%ld vendor=%s memory=%llu "
	    "state=%s vtime_ns=%llu idle_ns=%llu runs=%llu irqs=%llu "
	    "input=%llu boots=%u console=%s\n", vm->name, (long)getpid(),
	    runvm_vendor(vm), (unsigned long long)vm->o->mem, state,
	    (unsigned long long)st.vtime_ns, (unsigned long long)st.idle_ns,
	    (unsigned long long)st.runs, (unsigned long long)st.irqs,
	    (unsigned long long)st.input_bytes,
	    __atomic_load_n(&vm->boots, __ATOMIC_RELAXED), vm->con.desc);
	client_puts(cl, line);
}

static void
ctl_line(struct run_client *cl, char *line)
{
	char reply[CTL_LINE_MAX + 64];
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (strcmp(line, "status") == 0)
		ctl_status(cl);
	else if (strcmp(line, "stop") == 0) {
		client_puts(cl, "stopping\n");
		cl->want_stopped = 1;
		request_stop(cl->vm, "vmmsim stop (control socket)");
	} else if (n > 0) {
		snprintf(reply, sizeof(reply), "error unknown command '%.64s' "
		    "(status, stop)\n", line);
		client_puts(cl, reply);
	}
}

static void
on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run_client *cl = s->data;
	ssize_t i;

	if (n < 0) {
		client_close(cl);
		return;
	}
	if (!cl->ctl) {
		input_feed(cl->vm, (const uint8_t *)buf->base, (size_t)n);
		return;
	}
	for (i = 0; i < n && !uv_is_closing((uv_handle_t *)s); i++) {
		if (buf->base[i] == '\n') {
			cl->line[cl->n] = '\0';
			cl->n = 0;
			ctl_line(cl, cl->line);
		} else if (cl->n + 1 < sizeof(cl->line))
			cl->line[cl->n++] = buf->base[i];
		else {
			client_puts(cl, "error line too long\n");
			client_close(cl);
		}
	}
}

static void
on_connection(uv_stream_t *srv, int status)
{
	struct run_vm *vm = srv->data;
	struct run_client *cl;

	if (status < 0 || (cl = calloc(1, sizeof(*cl))) == NULL)
		return;
	cl->vm = vm;
	cl->ctl = srv == (uv_stream_t *)&vm->ctl_srv;
	uv_pipe_init(&vm->loop, &cl->h, 0);
	cl->h.data = cl;
	if (uv_accept(srv, (uv_stream_t *)&cl->h) != 0) {
		uv_close((uv_handle_t *)&cl->h, client_closed);
		return;
	}
	cl->next = vm->clients;
	vm->clients = cl;
	if (!cl->ctl && (vm->done || vm->con.paused))
		return;			/* reads start with the others */
	uv_read_start((uv_stream_t *)&cl->h, on_client_alloc, on_client_read);
}

/*
 * Bind a listening unix socket at path, mode 0600.  A socket nobody
 * listens on is stale (its VM died) and is replaced; one somebody
 * listens on is EADDRINUSE.  0, or an errno value.
 */
static int
listen_at(struct run_vm *vm, uv_pipe_t *srv, const char *path)
{
	mode_t old;
	int fd, error;

	if ((fd = ctl_connect(path)) != -1) {
		close(fd);
		return (EADDRINUSE);
	}
	if (errno == ECONNREFUSED)
		(void)unlink(path);
	else if (errno != ENOENT)
		return (errno);
	if ((error = uv_pipe_init(&vm->loop, srv, 0)) != 0)
		return (-error);
	srv->data = vm;
	old = umask(077);
	error = uv_pipe_bind(srv, path);
	umask(old);
	if (error == 0)
		error = uv_listen((uv_stream_t *)srv, CTL_BACKLOG,
		    on_connection);
	return (-error);
}

/*
 * The control socket, DIR/NAME.sock: bound before anything else, so that
 * a second VM of the same name is refused at once.
 */
int
ctl_listen(struct run_vm *vm)
{
	char dir[CTL_LINE_MAX], err[CTL_LINE_MAX];
	int error;

	if ((error = ctl_rundir(dir, sizeof(dir), 1, err, sizeof(err))) != 0) {
		fprintf(stderr, "vmmsim run: run directory: %s\n", err);
		return (-1);
	}
	if (ctl_sock_path(dir, vm->name, vm->ctl_path,
	    sizeof(vm->ctl_path)) != 0) {
		fprintf(stderr, "vmmsim run: %s/%s%s: path too long for a "
		    "socket\n", dir, vm->name, CTL_SUFFIX);
		return (-1);
	}
	error = listen_at(vm, &vm->ctl_srv, vm->ctl_path);
	if (error == EADDRINUSE) {
		fprintf(stderr, "vmmsim run: a VM named '%s' is already "
		    "running (%s)\n", vm->name, vm->ctl_path);
		return (-1);
	}
	if (error != 0) {
		fprintf(stderr, "vmmsim run: control socket %s: %s\n",
		    vm->ctl_path, strerror(error));
		return (-1);
	}
	vm->ctl_bound = 1;
	return (0);
}

/* --- the loop ----------------------------------------------------------- */

static void
on_signal(uv_signal_t *s, int signum)
{
	request_stop(s->data, signum == SIGINT ? "SIGINT" :
	    signum == SIGTERM ? "SIGTERM" : "SIGHUP");
}

static void
close_one(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Close every handle; the loop then runs down. */
static void
close_all(struct run_vm *vm)
{
	struct run_client *cl;

	if (vm->con.raw) {
		uv_tty_reset_mode();
		vm->con.raw = 0;
	}
	while ((cl = vm->clients) != NULL)
		client_close(cl);
	uv_walk(&vm->loop, close_one, NULL);
}

/*
 * The vcpu thread is done (its output all written): collect its status,
 * tell whoever asked for the stop, and close everything.
 */
static void
on_done(uv_async_t *a)
{
	struct run_vm *vm = a->data;
	struct run_client *cl;

	uv_thread_join(&vm->thread);
	vm->thread_started = 0;
	vm->done = 1;
	console_drain(vm);
	for (cl = vm->clients; cl != NULL; cl = cl->next)
		if (cl->ctl && cl->want_stopped)
			client_puts(cl, "stopped\n");
	close_all(vm);
}

/* The vcpu thread: the VM's whole run, reboots included. */
static void
vcpu_main(void *arg)
{
	struct run_vm *vm = arg;

	/* Signals are the loop's (uv_signal), never this thread's. */
	stop_signals(SIG_BLOCK);
	vm->status = runvm_run(vm);
	console_sync(vm);
	uv_async_send(&vm->a_done);
}

/* Start console input for the forms that have it. */
static int
input_start(struct run_vm *vm)
{
	struct run_console *c = &vm->con;
	int error = 0;

	switch (c->in_kind) {
	case IN_STREAM:
		if (uv_guess_handle(STDIN_FILENO) == UV_TTY) {
			if ((error = uv_tty_init(&vm->loop, &vm->in_tty,
			    STDIN_FILENO, 1)) != 0)
				break;
			vm->in_tty.data = vm;
			vm->in_stream = (uv_stream_t *)&vm->in_tty;
			if (uv_tty_set_mode(&vm->in_tty, UV_TTY_MODE_RAW) == 0)
				c->raw = 1;
			c->escape = 1;
		} else {
			if ((error = uv_pipe_init(&vm->loop, &vm->in_pipe,
			    0)) != 0)
				break;
			vm->in_pipe.data = vm;
			if ((error = uv_pipe_open(&vm->in_pipe,
			    STDIN_FILENO)) != 0)
				break;
			vm->in_stream = (uv_stream_t *)&vm->in_pipe;
		}
		error = uv_read_start(vm->in_stream, on_alloc, on_stdin_read);
		break;
	case IN_FILE:
		fs_read_next(vm);
		break;
	case IN_PTY:
		if ((error = uv_poll_init(&vm->loop, &vm->in_poll,
		    c->fd)) != 0)
			break;
		vm->in_poll.data = vm;
		error = uv_poll_start(&vm->in_poll, UV_READABLE, on_pty);
		break;
	case IN_SOCKET:
		if ((error = -listen_at(vm, &vm->con_srv, c->path)) == 0)
			vm->con_bound = 1;
		else if (error == -EADDRINUSE) {
			fprintf(stderr, "vmmsim run: console socket %s is in "
			    "use\n", c->path);
			return (-1);
		}
		break;
	}
	if (error != 0) {
		fprintf(stderr, "vmmsim run: console input: %s\n",
		    uv_strerror(error));
		return (-1);
	}
	return (0);
}

/* Block or unblock the signals that stop a run (vmmsim_cmd_run). */
void
stop_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(how, &set, NULL);
}

/* Everything the loop watches, then the vcpu thread. */
int
loop_start(struct run_vm *vm)
{
	uv_async_init(&vm->loop, &vm->a_done, on_done);
	uv_async_init(&vm->loop, &vm->a_out, on_out);
	uv_async_init(&vm->loop, &vm->a_space, on_space);
	vm->a_done.data = vm->a_out.data = vm->a_space.data = vm;
	uv_signal_init(&vm->loop, &vm->s_int);
	uv_signal_init(&vm->loop, &vm->s_term);
	uv_signal_init(&vm->loop, &vm->s_hup);
	vm->s_int.data = vm->s_term.data = vm->s_hup.data = vm;
	uv_signal_start(&vm->s_int, on_signal, SIGINT);
	uv_signal_start(&vm->s_term, on_signal, SIGTERM);
	uv_signal_start(&vm->s_hup, on_signal, SIGHUP);
	stop_signals(SIG_UNBLOCK);	/* one that came meanwhile: now */
	if (input_start(vm) != 0)
		return (-1);
	if (uv_thread_create(&vm->thread, vcpu_main, vm) != 0) {
		fprintf(stderr, "vmmsim run: cannot start the vcpu thread\n");
		return (-1);
	}
	vm->thread_started = 1;
	return (0);
}

void
loop_run(struct run_vm *vm)
{
	(void)uv_run(&vm->loop, UV_RUN_DEFAULT);
}

/*
 * After the loop, or instead of it when setup failed: close what is
 * open, remove the sockets, restore the terminal.
 */
void
loop_fini(struct run_vm *vm)
{
	if (!vm->loop_init)
		return;
	/* The thread starts last in loop_start(), and on_done() joined it. */
	vm->done = 1;
	close_all(vm);
	(void)uv_run(&vm->loop, UV_RUN_DEFAULT);
	if (vm->ctl_bound)
		(void)unlink(vm->ctl_path);
	if (vm->con_bound)
		(void)unlink(vm->con.path);
	vm->ctl_bound = vm->con_bound = 0;
	(void)uv_loop_close(&vm->loop);
	vm->loop_init = 0;
}
