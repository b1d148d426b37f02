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
 * The character device and the system-call layer above it: open/close of
 * /dev/vmm, pledge(2) as a property of each handle, and sys_ioctl's
 * argument handling — the whole struct is copied in before the driver runs
 * and copied out only if the driver returned 0, so on error the caller sees
 * errno and nothing else.
 */

#include "config.h"

#include <sys/eventfd.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_trace.h"
#include "vmmsim.h"

/* OpenBSD's sys_ioctl refuses arguments larger than this. */
#define IOCPARM_MAX	4096

struct vmm_handle {
	int			h_fd;
	struct vmm_softc	*h_sc;
	struct proc		h_proc;
};

static pthread_rwlock_t handles_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct vmm_handle **handles;	/* indexed by descriptor */
static size_t nhandles;

static int
handle_insert(struct vmm_handle *h)
{
	struct vmm_handle **nh;
	size_t n;

	pthread_rwlock_wrlock(&handles_lock);
	if ((size_t)h->h_fd >= nhandles) {
		n = (size_t)h->h_fd + 64;
		nh = realloc(handles, n * sizeof(*nh));
		if (nh == NULL) {
			pthread_rwlock_unlock(&handles_lock);
			return (ENOMEM);
		}
		memset(nh + nhandles, 0, (n - nhandles) * sizeof(*nh));
		handles = nh;
		nhandles = n;
	}
	handles[h->h_fd] = h;
	pthread_rwlock_unlock(&handles_lock);
	return (0);
}

static struct vmm_handle *
handle_lookup(int fd)
{
	struct vmm_handle *h = NULL;

	if (fd < 0)
		return (NULL);
	pthread_rwlock_rdlock(&handles_lock);
	if ((size_t)fd < nhandles)
		h = handles[fd];
	pthread_rwlock_unlock(&handles_lock);
	return (h);
}

static struct vmm_handle *
handle_remove(int fd)
{
	struct vmm_handle *h = NULL;

	if (fd < 0)
		return (NULL);
	pthread_rwlock_wrlock(&handles_lock);
	if ((size_t)fd < nhandles) {
		h = handles[fd];
		handles[fd] = NULL;
	}
	pthread_rwlock_unlock(&handles_lock);
	return (h);
}

/*
 * Parses pledge(2) promises.  Only "vmm", "proc" and "error" change what
 * /dev/vmm allows; every other promise of pledge(2) is accepted and has no
 * effect here.  An unknown word is EINVAL, as in pledge(2).
 */
static int
parse_promises(const char *promises, uint32_t *res)
{
	static const char *known[] = {
		"stdio", "rpath", "wpath", "cpath", "dpath", "tmppath",
		"inet", "mcast", "fattr", "chown", "flock", "unix", "dns",
		"getpw", "sendfd", "recvfd", "tape", "tty", "exec",
		"prot_exec", "settime", "ps", "vminfo", "id", "pf", "route",
		"wroute", "audio", "video", "bpf", "unveil", "vmm", "proc",
		"error", "disklabel", "drm", "mcast", NULL
	};
	const char *s = promises, *e;
	uint32_t flags = 0;
	size_t len, i;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		len = (size_t)(e - s);
		for (i = 0; known[i] != NULL; i++)
			if (strlen(known[i]) == len &&
			    strncmp(known[i], s, len) == 0)
				break;
		if (known[i] == NULL)
			return (EINVAL);
		if (len == 3 && strncmp(s, "vmm", 3) == 0)
			flags |= PLEDGE_VMM;
		else if (len == 4 && strncmp(s, "proc", 4) == 0)
			flags |= PLEDGE_PROC;
		else if (len == 5 && strncmp(s, "error", 5) == 0)
			flags |= PLEDGE_ERROR;
		s = e;
	}
	*res = flags;
	return (0);
}

static int
mode_for_flags(int flags, int *mode)
{
	const char *cpu;

	if ((flags & ~(VMMSIM_OPEN_INTEL | VMMSIM_OPEN_AMD |
	    VMMSIM_OPEN_REDELIVER | VMMSIM_OPEN_BARE_METAL)) != 0 ||
	    (flags & (VMMSIM_OPEN_INTEL | VMMSIM_OPEN_AMD)) ==
	    (VMMSIM_OPEN_INTEL | VMMSIM_OPEN_AMD))
		return (EINVAL);
	if (flags & VMMSIM_OPEN_INTEL)
		*mode = VMM_MODE_EPT;
	else if (flags & VMMSIM_OPEN_AMD)
		*mode = VMM_MODE_RVI;
	else {
		cpu = getenv("VMMSIM_CPU");
		if (cpu == NULL || *cpu == '\0' || strcmp(cpu, "intel") == 0)
			*mode = VMM_MODE_EPT;
		else if (strcmp(cpu, "amd") == 0)
			*mode = VMM_MODE_RVI;
		else
			return (ENODEV);
	}
	return (0);
}

static int
new_descriptor(void)
{
	int fd;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		fd = eventfd(0, EFD_CLOEXEC);
	return (fd);
}

int
vmmsim_open_as(pid_t pid, const char *promises, int flags)
{
	struct vmm_handle *h;
	struct vmm_softc *sc;
	uint32_t pl = 0;
	int mode, error;

	if ((error = mode_for_flags(flags, &mode)) != 0)
		goto fail;
	if (promises != NULL && (error = parse_promises(promises, &pl)) != 0)
		goto fail;
	if ((error = vmm_attach(mode, &sc)) != 0)
		goto fail;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		error = ENOMEM;
		goto fail;
	}
	h->h_sc = sc;
	h->h_proc.p_pid = pid;
	h->h_proc.p_pledged = (promises != NULL);
	h->h_proc.p_pledge = pl;
	h->h_proc.p_redeliver = (flags & VMMSIM_OPEN_REDELIVER) ? 1 : 0;
	h->h_proc.p_bare = (flags & VMMSIM_OPEN_BARE_METAL) ? 1 : 0;
	if ((h->h_fd = new_descriptor()) == -1) {
		error = errno;
		free(h);
		goto fail;
	}
	if ((error = handle_insert(h)) != 0) {
		close(h->h_fd);
		free(h);
		goto fail;
	}
	return (h->h_fd);
fail:
	errno = error;
	return (-1);
}

int
vmmsim_open(int flags)
{
	return (vmmsim_open_as(getpid(), NULL, flags));
}

int
vmmsim_pledge(int fd, const char *promises)
{
	struct vmm_handle *h;
	uint32_t pl;
	int error;

	if ((h = handle_lookup(fd)) == NULL) {
		errno = EBADF;
		return (-1);
	}
	if (promises == NULL)
		return (0);	/* pledge(NULL, ...) changes nothing */
	if ((error = parse_promises(promises, &pl)) != 0) {
		errno = error;
		return (-1);
	}
	/* Promises can only be reduced. */
	if (h->h_proc.p_pledged &&
	    (pl & (PLEDGE_VMM | PLEDGE_PROC)) & ~h->h_proc.p_pledge) {
		errno = EPERM;
		return (-1);
	}
	h->h_proc.p_pledge = pl;
	h->h_proc.p_pledged = 1;
	return (0);
}

int
vmmsim_is_handle(int fd)
{
	return (handle_lookup(fd) != NULL);
}

int
vmmsim_close(int fd)
{
	struct vmm_handle *h;

	if ((h = handle_remove(fd)) == NULL) {
		errno = EBADF;
		return (-1);
	}
	(void)vmm_trace_stop(&h->h_proc);
	close(h->h_fd);
	free(h);
	return (0);
}

/*
 * The pledge layer in front of the driver (pledge_ioctl): a pledged process
 * needs "vmm" to use /dev/vmm at all, and then pledge_ioctl_vmm decides.
 */
static int
pledge_check(struct proc *p, unsigned long cmd)
{
	if (!p->p_pledged)
		return (0);
	if ((p->p_pledge & PLEDGE_VMM) && pledge_ioctl_vmm(p, cmd) == 0)
		return (0);
	return (pledge_fail(p, EPERM, (p->p_pledge & PLEDGE_VMM) ?
	    PLEDGE_PROC : PLEDGE_VMM));
}

int
vmmsim_ioctl(int fd, unsigned long cmd, void *arg)
{
	union {
		unsigned char	buf[IOCPARM_MAX];
		uint64_t	align;
	} u;
	struct vmm_handle *h;
	struct proc *saved;
	size_t size;
	int error;

	if ((h = handle_lookup(fd)) == NULL) {
		/* ioctl(2) on a descriptor that is not /dev/vmm */
		errno = (fcntl(fd, F_GETFD) == -1) ? EBADF : ENOTTY;
		return (-1);
	}

	saved = curproc;
	curproc = &h->h_proc;

	if ((error = pledge_check(&h->h_proc, cmd)) != 0)
		goto out;

	size = VMM_IOCPARM_LEN(cmd);
	if (size > IOCPARM_MAX) {
		error = ENOTTY;
		goto out;
	}
	if ((cmd & VMM_IOC_IN) && size != 0) {
		if ((error = copyin(arg, u.buf, size)) != 0)
			goto out;
	} else if ((cmd & VMM_IOC_OUT) && size != 0)
		memset(u.buf, 0, size);

	error = vmmioctl(h->h_sc, cmd, u.buf);

	if (error == 0 && (cmd & VMM_IOC_OUT) && size != 0)
		error = copyout(u.buf, arg, size);
out:
	curproc = saved;
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

/*
 * vmmsim's extensions (vmmsim.h) run as the handle's process, like an
 * ioctl: ext_enter() finds the handle (EBADF) and switches curproc,
 * ext_leave() switches back and turns an errno value into 0 or -1.
 */
static struct vmm_handle *
ext_enter(int fd, struct proc **saved)
{
	struct vmm_handle *h;

	if ((h = handle_lookup(fd)) == NULL) {
		errno = EBADF;
		return (NULL);
	}
	*saved = curproc;
	curproc = &h->h_proc;
	return (h);
}

static int
ext_leave(struct proc *saved, int error)
{
	curproc = saved;
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

/* The time extensions of vmmsim.h. */
enum vcpu_time_op { VT_READ, VT_STOP_AT, VT_IDLE };

static int
vcpu_time(int fd, uint32_t vm_id, uint32_t vcpu_id, uint64_t *ns,
    enum vcpu_time_op op)
{
	struct vmm_handle *h;
	struct proc *saved;
	int error;

	if ((h = ext_enter(fd, &saved)) == NULL)
		return (-1);
	switch (op) {
	case VT_READ:
		error = vm_vcpu_vtime(h->h_sc, vm_id, vcpu_id, ns);
		break;
	case VT_STOP_AT:
		error = vm_vcpu_stop_at(h->h_sc, vm_id, vcpu_id, *ns);
		break;
	default:
		error = vm_vcpu_idle(h->h_sc, vm_id, vcpu_id, *ns);
		break;
	}
	return (ext_leave(saved, error));
}

int
vmmsim_vcpu_vtime(int fd, uint32_t vm_id, uint32_t vcpu_id, uint64_t *ns)
{
	return (vcpu_time(fd, vm_id, vcpu_id, ns, VT_READ));
}

int
vmmsim_vcpu_stop_at(int fd, uint32_t vm_id, uint32_t vcpu_id, uint64_t ns)
{
	return (vcpu_time(fd, vm_id, vcpu_id, &ns, VT_STOP_AT));
}

int
vmmsim_vcpu_idle(int fd, uint32_t vm_id, uint32_t vcpu_id, uint64_t ns)
{
	return (vcpu_time(fd, vm_id, vcpu_id, &ns, VT_IDLE));
}

int
vmmsim_guest_written(int fd, uint32_t vm_id, uint64_t gpa, uint64_t len)
{
	struct vmm_handle *h;
	struct proc *saved;

	if ((h = ext_enter(fd, &saved)) == NULL)
		return (-1);
	return (ext_leave(saved, vm_guest_written(h->h_sc, vm_id, gpa, len)));
}

/* vmmsim_vcpu_snap_save() and _restore(): vmm_snap.c. */
static int
vcpu_snap(int fd, uint32_t vm_id, uint32_t vcpu_id,
    struct vmmsim_vcpu_snap *vs, int write)
{
	struct vmm_handle *h;
	struct proc *saved;

	if ((h = ext_enter(fd, &saved)) == NULL)
		return (-1);
	return (ext_leave(saved, vm_vcpu_snap(h->h_sc, vm_id, vcpu_id, vs, write)));
}

int
vmmsim_vcpu_snap_pages(int fd, uint32_t vm_id, uint32_t vcpu_id,
    uint64_t gpa, uint64_t npages, uint8_t *bm, int map)
{
	struct vmm_handle *h;
	struct proc *saved;

	if ((h = ext_enter(fd, &saved)) == NULL)
		return (-1);
	return (ext_leave(saved, vm_vcpu_snap_pages(h->h_sc, vm_id, vcpu_id,
	    gpa, npages, bm, map)));
}

int
vmmsim_vcpu_snap_save(int fd, uint32_t vm_id, uint32_t vcpu_id,
    struct vmmsim_vcpu_snap *vs)
{
	return (vcpu_snap(fd, vm_id, vcpu_id, vs, 0));
}

int
vmmsim_vcpu_snap_restore(int fd, uint32_t vm_id, uint32_t vcpu_id,
    const struct vmmsim_vcpu_snap *vs)
{
	struct vmmsim_vcpu_snap copy = *vs;

	return (vcpu_snap(fd, vm_id, vcpu_id, &copy, 1));
}

int
vmmsim_trace_start(int fd, const char *path, int flags)
{
	struct vmm_handle *h;
	int error;

	if ((h = handle_lookup(fd)) == NULL) {
		errno = EBADF;
		return (-1);
	}
	if ((error = vmm_trace_start(&h->h_proc, h->h_sc->mode, path,
	    flags)) != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
vmmsim_trace_snap_at(int fd, uint64_t exitno)
{
	struct vmm_handle *h;
	int error;

	if ((h = handle_lookup(fd)) == NULL) {
		errno = EBADF;
		return (-1);
	}
	if ((error = vmm_trace_snap_at(&h->h_proc, exitno)) != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
vmmsim_trace_stop(int fd)
{
	struct vmm_handle *h;
	int error;

	if ((h = handle_lookup(fd)) == NULL) {
		errno = EBADF;
		return (-1);
	}
	if ((error = vmm_trace_stop(&h->h_proc)) != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

const char *
vmmsim_version(void)
{
	return (PACKAGE_VERSION);
}
