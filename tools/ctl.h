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
 * The run directory and the control sockets in it, shared by `vmmsim run`
 * (which listens on DIR/NAME.sock) and `vmmsim status` / `vmmsim stop`
 * (which connect to them).
 *
 * The directory is $VMMSIM_RUNDIR, else $XDG_RUNTIME_DIR/vmmsim, else
 * /tmp/vmmsim-UID; it must belong to the user and be writable by nobody
 * else.  The protocol is one line each way: "status" is answered with
 * key=value pairs, "stop" with "stopping", and once the VM has stopped
 * with "stopped", after which the VM closes the connection.
 */

#ifndef VMMSIM_TOOLS_CTL_H
#define VMMSIM_TOOLS_CTL_H

#include <stddef.h>

#define CTL_NAME_MAX	64
#define CTL_LINE_MAX	512
#define CTL_SUFFIX	".sock"

/*
 * The run directory into buf.  With create, make it (mode 0700) if it
 * is missing.  0, or an errno value with a reason in err: ENOENT (absent
 * and not created), EPERM (not ours, or writable by others), ENOTDIR,
 * ENAMETOOLONG, or mkdir(2)'s error.
 */
int	ctl_rundir(char *buf, size_t len, int create, char *err, size_t errlen);

/* 1 if name is usable for a VM: [A-Za-z0-9._-], 1-64, no leading dot. */
int	ctl_name_ok(const char *name);

/* DIR/NAME.sock into buf; ENAMETOOLONG if it does not fit a sockaddr_un. */
int	ctl_sock_path(const char *dir, const char *name, char *buf,
	    size_t len);

/*
 * Connect to a control socket.  A descriptor, or -1 with errno
 * (ECONNREFUSED or ENOENT: nobody listens, a stale socket or none).
 */
int	ctl_connect(const char *path);

/*
 * Send one command line and read one reply line (without its newline)
 * on a connected socket, waiting at most timeout_ms.  0, or an errno
 * value (ETIMEDOUT, EPIPE, ECONNRESET for a VM that went away).
 */
int	ctl_command(int fd, const char *cmd, char *reply, size_t len,
	    int timeout_ms);

/* The value of key in a "k=v k=v" reply into buf; 0 or ENOENT. */
int	ctl_field(const char *reply, const char *key, char *buf, size_t len);

int	vmmsim_cmd_status(int argc, char **argv);
int	vmmsim_cmd_stop(int argc, char **argv);

#endif /* VMMSIM_TOOLS_CTL_H */
