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
 * The replay log (replay_log.h): encoding, decoding and checking.  Every
 * field is little-endian; a record is a type byte, three zero bytes, a
 * 32-bit payload length and the payload (docs/replay-format.md).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "replay_log.h"

#define REC_HDR		8
#define POINT_LEN	40

/* --- encoding ---------------------------------------------------------- */

struct obuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 error;
};

static void
ob_put(struct obuf *b, const void *v, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (b->error != 0 || n == 0)
		return;		/* memcpy wants a pointer even for 0 bytes */
	if (b->len + n > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->error = ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void
ob_u32(struct obuf *b, uint32_t v)
{
	uint8_t x[4];
	int i;

	for (i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	ob_put(b, x, sizeof(x));
}

static void
ob_u64(struct obuf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	ob_put(b, x, sizeof(x));
}

static void
ob_str(struct obuf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	ob_u32(b, s != NULL ? (uint32_t)n : UINT32_MAX);
	ob_put(b, s, n);
}

static void
ob_point(struct obuf *b, const struct vmrun_point *pt)
{
	ob_u64(b, pt->exitno);
	ob_u64(b, pt->boundary);
	ob_u64(b, pt->vtime_ns);
	ob_u64(b, pt->idle_ns);
	ob_u32(b, (uint32_t)pt->where);
	ob_u32(b, 0);
}

/* Write one record: header, then the payload built in b; frees b. */
static int
put_record(struct rlog_writer *w, int type, struct obuf *b)
{
	uint8_t hdr[REC_HDR];
	uint32_t len = (uint32_t)b->len;
	int i;

	if (w->error == 0 && b->error != 0)
		w->error = b->error;
	if (w->error == 0 && b->len > RLOG_RECORD_MAX)
		w->error = EFBIG;
	if (w->error == 0) {
		memset(hdr, 0, sizeof(hdr));
		hdr[0] = (uint8_t)type;
		for (i = 0; i < 4; i++)
			hdr[4 + i] = (uint8_t)(len >> (8 * i));
		if (fwrite(hdr, 1, sizeof(hdr), w->fp) != sizeof(hdr) ||
		    (b->len > 0 && fwrite(b->p, 1, b->len, w->fp) != b->len))
			w->error = errno != 0 ? errno : EIO;
	}
	free(b->p);
	memset(b, 0, sizeof(*b));
	return (w->error);
}

int
rlog_create(struct rlog_writer *w, const char *path,
    const struct rlog_ident *id)
{
	struct obuf b;
	uint32_t i;

	memset(w, 0, sizeof(*w));
	memset(&b, 0, sizeof(b));
	if ((w->fp = fopen(path, "wb")) == NULL)
		return (w->error = errno);
	ob_put(&b, RLOG_MAGIC, RLOG_MAGIC_LEN);
	ob_u32(&b, RLOG_VERSION);
	ob_u32(&b, 0);
	if (b.error == 0 && fwrite(b.p, 1, b.len, w->fp) != b.len)
		w->error = errno != 0 ? errno : EIO;
	free(b.p);
	memset(&b, 0, sizeof(b));
	ob_u32(&b, id->vendor);
	ob_u32(&b, id->flags);
	ob_u64(&b, id->mem);
	ob_u64(&b, (uint64_t)id->rtc_start);
	ob_u64(&b, id->rnd_seed);
	ob_u64(&b, id->max_time_ns);
	ob_u64(&b, id->quantum_ns);
	ob_u64(&b, id->ckpt_exits);
	ob_u64(&b, id->ckpt_time_ns);
	ob_u32(&b, id->block_shift);
	ob_u32(&b, id->nimages);
	ob_str(&b, id->append);
	for (i = 0; i < id->nimages; i++) {
		ob_u32(&b, id->images[i].kind);
		ob_u32(&b, id->images[i].readonly);
		ob_u64(&b, id->images[i].size);
		ob_u64(&b, id->images[i].hash);
		ob_str(&b, id->images[i].path);
	}
	return (put_record(w, RLOG_IDENT, &b));
}

int
rlog_put_input(struct rlog_writer *w, const struct vmrun_point *pt,
    const uint8_t *buf, size_t len)
{
	struct obuf b;

	memset(&b, 0, sizeof(b));
	ob_point(&b, pt);
	ob_u32(&b, (uint32_t)len);
	ob_put(&b, buf, len);
	return (put_record(w, RLOG_INPUT, &b));
}

int
rlog_put_idle(struct rlog_writer *w, const struct vmrun_point *pt,
    uint64_t skip, uint64_t full)
{
	struct obuf b;

	memset(&b, 0, sizeof(b));
	ob_point(&b, pt);
	ob_u64(&b, skip);
	ob_u64(&b, full);
	return (put_record(w, RLOG_IDLE, &b));
}

int
rlog_put_ckpt(struct rlog_writer *w, const struct rlog_ckpt *c)
{
	struct obuf b;
	uint32_t i;

	memset(&b, 0, sizeof(b));
	ob_u64(&b, c->seq);
	ob_point(&b, &c->pt);
	ob_u32(&b, RLOG_NREGS);
	for (i = 0; i < RLOG_NREGS; i++)
		ob_u64(&b, c->regs[i]);
	ob_u64(&b, c->dev_hash);
	ob_u64(&b, c->mem_hash);
	ob_u32(&b, c->nblocks);
	for (i = 0; i < c->nblocks; i++)
		ob_u64(&b, c->blocks[i]);
	return (put_record(w, RLOG_CKPT, &b));
}

int
rlog_put_end(struct rlog_writer *w, const struct rlog_end *e)
{
	struct obuf b;

	memset(&b, 0, sizeof(b));
	ob_point(&b, &e->pt);
	ob_u32(&b, e->how);
	ob_u32(&b, (uint32_t)e->status);
	ob_u32(&b, (uint32_t)e->error);
	ob_u32(&b, e->boots);
	return (put_record(w, RLOG_END, &b));
}

int
rlog_close(struct rlog_writer *w)
{
	if (w->fp == NULL)
		return (w->error);
	if (fclose(w->fp) != 0 && w->error == 0)
		w->error = errno;
	w->fp = NULL;
	return (w->error);
}

/* --- decoding ---------------------------------------------------------- */

struct ibuf {
	const uint8_t	*p;
	size_t		 left;
	int		 short_read;
};

static const uint8_t *
ib_take(struct ibuf *b, size_t n)
{
	const uint8_t *p = b->p;

	if (b->short_read || n > b->left) {
		b->short_read = 1;
		return (NULL);
	}
	b->p += n;
	b->left -= n;
	return (p);
}

static uint32_t
ib_u32(struct ibuf *b)
{
	const uint8_t *p = ib_take(b, 4);
	uint32_t v = 0;
	int i;

	if (p != NULL)
		for (i = 0; i < 4; i++)
			v |= (uint32_t)p[i] << (8 * i);
	return (v);
}

static uint64_t
ib_u64(struct ibuf *b)
{
	const uint8_t *p = ib_take(b, 8);
	uint64_t v = 0;
	int i;

	if (p != NULL)
		for (i = 0; i < 8; i++)
			v |= (uint64_t)p[i] << (8 * i);
	return (v);
}

/* A string: NULL for "none", or a malloc'd copy; *bad on a bad one. */
static char *
ib_str(struct ibuf *b, size_t max, int *bad)
{
	uint32_t n = ib_u32(b);
	const uint8_t *p;
	char *s;

	if (b->short_read || n == UINT32_MAX)
		return (NULL);
	if (n > max || (p = ib_take(b, n)) == NULL ||
	    memchr(p, '\0', n) != NULL) {
		*bad = 1;
		return (NULL);
	}
	if ((s = malloc((size_t)n + 1)) == NULL) {
		*bad = 1;
		return (NULL);
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

static void
ib_point(struct ibuf *b, struct vmrun_point *pt)
{
	pt->exitno = ib_u64(b);
	pt->boundary = ib_u64(b);
	pt->vtime_ns = ib_u64(b);
	pt->idle_ns = ib_u64(b);
	pt->where = (int)ib_u32(b);
	(void)ib_u32(b);
}

static int
fail(char *err, size_t errlen, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return (error);
}

/* Grow an array by one element; NULL on ENOMEM. */
static void *
grow(void *arr, size_t n, size_t size)
{
	if (n > SIZE_MAX / size - 1)
		return (NULL);
	return (realloc(arr, (n + 1) * size));
}

static int
parse_ident(struct ibuf *b, struct rlog_ident *id)
{
	int bad = 0;
	uint32_t i;

	id->vendor = ib_u32(b);
	id->flags = ib_u32(b);
	id->mem = ib_u64(b);
	id->rtc_start = (int64_t)ib_u64(b);
	id->rnd_seed = ib_u64(b);
	id->max_time_ns = ib_u64(b);
	id->quantum_ns = ib_u64(b);
	id->ckpt_exits = ib_u64(b);
	id->ckpt_time_ns = ib_u64(b);
	id->block_shift = ib_u32(b);
	id->nimages = ib_u32(b);
	if (b->short_read || id->vendor > 1 || id->flags & ~(RLOG_F_REBOOT |
	    RLOG_F_CONSOLE_INPUT | RLOG_F_GUEST_UNPACK) || id->quantum_ns == 0 ||
	    id->block_shift < 12 || id->block_shift > 40 ||
	    id->nimages == 0 || id->nimages > RLOG_MAX_IMAGES)
		return (-1);
	id->append = ib_str(b, RLOG_APPEND_MAX, &bad);
	for (i = 0; i < id->nimages && !bad; i++) {
		id->images[i].kind = ib_u32(b);
		id->images[i].readonly = ib_u32(b);
		id->images[i].size = ib_u64(b);
		id->images[i].hash = ib_u64(b);
		id->images[i].path = ib_str(b, RLOG_PATH_MAX, &bad);
		if (id->images[i].kind < RLOG_IMG_KERNEL ||
		    id->images[i].kind > RLOG_IMG_DISK ||
		    id->images[i].readonly > 1 || id->images[i].path == NULL)
			bad = 1;
	}
	return (bad || b->short_read ? -1 : 0);
}

static int
point_ok(const struct vmrun_point *pt)
{
	return (pt->where == VMRUN_AT_RUN || pt->where == VMRUN_AT_HLT);
}

/*
 * One record's payload into the log.  0, or -1 for a malformed one (the
 * caller says where).
 */
static int
parse_record(int type, struct ibuf *b, struct rlog *log)
{
	struct rlog_input *in;
	struct rlog_idle *idl;
	struct rlog_ckpt *c;
	const uint8_t *p;
	uint32_t i, n;
	void *arr;

	switch (type) {
	case RLOG_INPUT:
		if ((arr = grow(log->inputs, log->ninputs,
		    sizeof(*in))) == NULL)
			return (-1);
		log->inputs = arr;
		in = &log->inputs[log->ninputs];
		memset(in, 0, sizeof(*in));
		ib_point(b, &in->pt);
		in->len = ib_u32(b);
		if (b->short_read || in->len == 0 || !point_ok(&in->pt) ||
		    (p = ib_take(b, in->len)) == NULL ||
		    (in->buf = malloc(in->len)) == NULL)
			return (-1);
		memcpy(in->buf, p, in->len);
		log->ninputs++;
		return (0);
	case RLOG_IDLE:
		if ((arr = grow(log->idles, log->nidles,
		    sizeof(*idl))) == NULL)
			return (-1);
		log->idles = arr;
		idl = &log->idles[log->nidles];
		ib_point(b, &idl->pt);
		idl->skip = ib_u64(b);
		idl->full = ib_u64(b);
		if (b->short_read || idl->pt.where != VMRUN_AT_HLT ||
		    idl->skip > idl->full)
			return (-1);
		log->nidles++;
		return (0);
	case RLOG_CKPT:
		if ((arr = grow(log->ckpts, log->nckpts, sizeof(*c))) == NULL)
			return (-1);
		log->ckpts = arr;
		c = &log->ckpts[log->nckpts];
		memset(c, 0, sizeof(*c));
		c->seq = ib_u64(b);
		ib_point(b, &c->pt);
		if (ib_u32(b) != RLOG_NREGS || c->seq != log->nckpts ||
		    !point_ok(&c->pt))
			return (-1);
		for (i = 0; i < RLOG_NREGS; i++)
			c->regs[i] = ib_u64(b);
		c->dev_hash = ib_u64(b);
		c->mem_hash = ib_u64(b);
		n = ib_u32(b);
		if (b->short_read || n > b->left / 8)
			return (-1);
		if (n > 0 && (c->blocks = calloc(n, sizeof(uint64_t))) == NULL)
			return (-1);
		c->nblocks = n;
		log->nckpts++;
		for (i = 0; i < n; i++)
			c->blocks[i] = ib_u64(b);
		return (b->short_read ? -1 : 0);
	case RLOG_END:
		ib_point(b, &log->end.pt);
		log->end.how = ib_u32(b);
		log->end.status = (int32_t)ib_u32(b);
		log->end.error = (int32_t)ib_u32(b);
		log->end.boots = ib_u32(b);
		if (b->short_read || log->end.how < RLOG_END_EXIT ||
		    log->end.how > RLOG_END_FAILED || !point_ok(&log->end.pt))
			return (-1);
		return (0);
	default:
		return (-1);
	}
}

static const char *
type_name(int type)
{
	static const char *names[] = { "?", "identity", "input", "idle",
	    "checkpoint", "end" };

	return (type >= RLOG_IDENT && type <= RLOG_END ? names[type] : "?");
}

/* Read all of a file; 0 or an errno value. */
static int
slurp(const char *path, uint8_t **datap, size_t *lenp)
{
	FILE *fp;
	uint8_t *data = NULL, *np;
	size_t len = 0, cap = 0, n;
	int error = 0;

	if ((fp = fopen(path, "rb")) == NULL)
		return (errno);
	for (;;) {
		if (len == cap) {
			cap = cap != 0 ? cap * 2 : 65536;
			if ((np = realloc(data, cap)) == NULL) {
				error = ENOMEM;
				break;
			}
			data = np;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0) {
			if (ferror(fp))
				error = EIO;
			break;
		}
	}
	fclose(fp);
	if (error != 0) {
		free(data);
		return (error);
	}
	*datap = data;
	*lenp = len;
	return (0);
}

int
rlog_load(const char *path, struct rlog *log, char *err, size_t errlen)
{
	struct ibuf f, b;
	uint8_t *data = NULL;
	const uint8_t *hdr;
	size_t len = 0, off;
	uint32_t version, rlen;
	int type, error, seen_end = 0, last = 0;

	memset(log, 0, sizeof(*log));
	if ((error = slurp(path, &data, &len)) != 0)
		return (fail(err, errlen, error, "%s: %s", path,
		    strerror(error)));
	f.p = data;
	f.left = len;
	f.short_read = 0;
	if (len < RLOG_MAGIC_LEN + 8 ||
	    memcmp(data, RLOG_MAGIC, RLOG_MAGIC_LEN) != 0) {
		free(data);
		return (fail(err, errlen, EINVAL, "%s: not a vmmsim replay "
		    "log (bad magic)", path));
	}
	(void)ib_take(&f, RLOG_MAGIC_LEN);
	version = ib_u32(&f);
	(void)ib_u32(&f);
	if (version != RLOG_VERSION) {
		free(data);
		return (fail(err, errlen, EPROTO, "%s: log version %u, this "
		    "vmmsim reads version %u", path, version, RLOG_VERSION));
	}
	error = 0;
	while (f.left > 0 && error == 0) {
		off = len - f.left;
		if ((hdr = ib_take(&f, REC_HDR)) == NULL) {
			error = fail(err, errlen, EINVAL, "%s: truncated record "
			    "header at offset %zu", path, off);
			break;
		}
		type = hdr[0];
		rlen = (uint32_t)hdr[4] | (uint32_t)hdr[5] << 8 |
		    (uint32_t)hdr[6] << 16 | (uint32_t)hdr[7] << 24;
		if (hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0 ||
		    type < RLOG_IDENT || type > RLOG_END) {
			error = fail(err, errlen, EINVAL, "%s: bad record "
			    "header (type %d) at offset %zu", path, type, off);
			break;
		}
		if (rlen > f.left || rlen > RLOG_RECORD_MAX) {
			error = fail(err, errlen, EINVAL, "%s: truncated %s "
			    "record at offset %zu (%u bytes, %zu left)", path,
			    type_name(type), off, rlen, f.left);
			break;
		}
		b.p = ib_take(&f, rlen);
		b.left = rlen;
		b.short_read = 0;
		if ((type == RLOG_IDENT) != (last == 0) || seen_end) {
			error = fail(err, errlen, EINVAL, "%s: %s record out "
			    "of place at offset %zu", path, type_name(type),
			    off);
			break;
		}
		if (type == RLOG_IDENT ? parse_ident(&b, &log->ident) :
		    parse_record(type, &b, log)) {
			error = fail(err, errlen, EINVAL, "%s: malformed %s "
			    "record at offset %zu", path, type_name(type), off);
			break;
		}
		if (b.left != 0) {
			error = fail(err, errlen, EINVAL, "%s: %zu stray bytes "
			    "in the %s record at offset %zu", path, b.left,
			    type_name(type), off);
			break;
		}
		seen_end = type == RLOG_END;
		last = type;
	}
	free(data);
	if (error == 0 && last == 0)
		error = fail(err, errlen, EINVAL, "%s: no identity record",
		    path);
	if (error == 0 && !seen_end)
		error = fail(err, errlen, EINVAL, "%s: no end record "
		    "(truncated, or the recording was killed)", path);
	if (error != 0)
		rlog_free(log);
	return (error);
}

void
rlog_free(struct rlog *log)
{
	size_t i;

	free(log->ident.append);
	for (i = 0; i < log->ident.nimages && i < RLOG_MAX_IMAGES; i++)
		free(log->ident.images[i].path);
	for (i = 0; i < log->ninputs; i++)
		free(log->inputs[i].buf);
	free(log->inputs);
	free(log->idles);
	for (i = 0; i < log->nckpts; i++)
		free(log->ckpts[i].blocks);
	free(log->ckpts);
	memset(log, 0, sizeof(*log));
}

/* --- registers --------------------------------------------------------- */

static void
seg_flatten(const struct vcpu_segment_info *s, uint64_t *out)
{
	out[0] = s->vsi_sel;
	out[1] = s->vsi_limit;
	out[2] = s->vsi_ar;
	out[3] = s->vsi_base;
}

void
rlog_regs_flatten(const struct vcpu_reg_state *vrs, uint64_t regs[RLOG_NREGS])
{
	int i, n = 0;

	for (i = 0; i < VCPU_REGS_NGPRS; i++)
		regs[n++] = vrs->vrs_gprs[i];
	for (i = 0; i < VCPU_REGS_NCRS; i++)
		regs[n++] = vrs->vrs_crs[i];
	for (i = 0; i < VCPU_REGS_NMSRS; i++)
		regs[n++] = vrs->vrs_msrs[i];
	for (i = 0; i < VCPU_REGS_NDRS; i++)
		regs[n++] = vrs->vrs_drs[i];
	for (i = 0; i < VCPU_REGS_NSREGS; i++, n += 4)
		seg_flatten(&vrs->vrs_sregs[i], regs + n);
	seg_flatten(&vrs->vrs_gdtr, regs + n);
	seg_flatten(&vrs->vrs_idtr, regs + n + 4);
}

void
rlog_reg_name(int slot, char *buf, size_t len)
{
	static const char *gprs[] = { "rax", "rcx", "rdx", "rbx", "rsp",
	    "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
	    "r14", "r15", "rip", "rflags" };
	static const char *crs[] = { "cr0", "cr2", "cr3", "cr4", "cr8",
	    "xcr0", "pdpte0", "pdpte1", "pdpte2", "pdpte3" };
	static const char *msrs[] = { "efer", "star", "lstar", "cstar",
	    "sfmask", "kernelgsbase", "misc_enable" };
	static const char *drs[] = { "dr0", "dr1", "dr2", "dr3", "dr6",
	    "dr7" };
	static const char *segs[] = { "es", "cs", "ss", "ds", "fs", "gs",
	    "ldtr", "tr", "gdtr", "idtr" };
	static const char *parts[] = { "sel", "limit", "ar", "base" };

	if (slot < 0 || slot >= RLOG_NREGS) {
		snprintf(buf, len, "slot %d", slot);
		return;
	}
	if (slot < VCPU_REGS_NGPRS) {
		snprintf(buf, len, "%s", gprs[slot]);
		return;
	}
	slot -= VCPU_REGS_NGPRS;
	if (slot < VCPU_REGS_NCRS) {
		snprintf(buf, len, "%s", crs[slot]);
		return;
	}
	slot -= VCPU_REGS_NCRS;
	if (slot < VCPU_REGS_NMSRS) {
		snprintf(buf, len, "%s", msrs[slot]);
		return;
	}
	slot -= VCPU_REGS_NMSRS;
	if (slot < VCPU_REGS_NDRS) {
		snprintf(buf, len, "%s", drs[slot]);
		return;
	}
	slot -= VCPU_REGS_NDRS;
	snprintf(buf, len, "%s.%s", segs[slot / 4], parts[slot % 4]);
}

const char *
rlog_end_name(uint32_t how)
{
	static const char *names[] = { "?", "debug exit", "reset",
	    "time limit", "stopped", "failed" };

	return (how <= RLOG_END_FAILED ? names[how] : "?");
}

const char *
rlog_image_kind(uint32_t kind)
{
	static const char *names[] = { "?", "kernel", "initrd", "bios",
	    "disk" };

	return (kind <= RLOG_IMG_DISK ? names[kind] : "?");
}
