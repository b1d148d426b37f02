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

/* The monitor's console: where printf(9) output goes. */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "vmm.h"
#include "vmmsim.h"

static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;
static int log_set;

void
vmmsim_set_log(FILE *fp)
{
	pthread_mutex_lock(&log_mtx);
	log_fp = fp;
	log_set = 1;
	pthread_mutex_unlock(&log_mtx);
}

void
vmm_printf(const char *fmt, ...)
{
	va_list ap;
	FILE *fp;

	pthread_mutex_lock(&log_mtx);
	fp = log_set ? log_fp : stderr;
	if (fp != NULL) {
		va_start(ap, fmt);
		fputs("vmm: ", fp);
		vfprintf(fp, fmt, ap);
		va_end(ap);
		fflush(fp);
	}
	pthread_mutex_unlock(&log_mtx);
}
