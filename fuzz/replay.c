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
 * fuzz/replay_<what>: one fuzz target's harness without libFuzzer, in an
 * ordinary build (any compiler), as a test of make check.  With no
 * arguments it runs every input of the target's seed corpus
 * (fuzz/corpus/fuzz_<what>/) and every finding kept for it
 * (fuzz/findings/fuzz_<what>-*), so each input that once crashed, hung or
 * broke the harness's checks stays a regression test in every build,
 * with the sanitizers when the suite has them.  With arguments it runs
 * those files (a finding just made, say).
 *
 * A harness reports a failure by crashing or aborting, as under
 * libFuzzer; an input that takes longer than INPUT_SECONDS is a hang and
 * ends the program with SIGALRM.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"fuzz_<what>\"'"
#endif
#ifndef FUZZ_SRCDIR
#error "build with -DFUZZ_SRCDIR='\"<source>/fuzz\"'"
#endif

#define INPUT_MAX	(1024 * 1024)	/* libFuzzer's default -max_len is less */
#define INPUT_SECONDS	120

static uint8_t input[INPUT_MAX];

static int
replay(const char *path)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return (-1);
	}
	n = fread(input, 1, sizeof(input), fp);
	if (ferror(fp) || (n == sizeof(input) && fgetc(fp) != EOF)) {
		fprintf(stderr, "%s: unreadable or over %d bytes\n", path,
		    INPUT_MAX);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	alarm(INPUT_SECONDS);
	(void)LLVMFuzzerTestOneInput(input, n);
	alarm(0);
	return (0);
}

static int
corpus_entry(const struct dirent *d)
{
	return (d->d_name[0] != '.');
}

static int
finding_entry(const struct dirent *d)
{
	return (strncmp(d->d_name, FUZZ_TARGET "-",
	    sizeof(FUZZ_TARGET "-") - 1) == 0);
}

/* Every file of dir that filter takes, in name order; -1 on an error. */
static int
replay_dir(const char *dir, int (*filter)(const struct dirent *))
{
	struct dirent **names;
	char path[4096];
	int i, n, done = 0, bad = 0;

	if ((n = scandir(dir, &names, filter, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return (-1);
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (replay(path) != 0)
			bad = 1;
		else
			done++;
		free(names[i]);
	}
	free(names);
	return (bad ? -1 : done);
}

int
main(int argc, char **argv)
{
	int i, corpus, findings;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay(argv[i]) != 0)
				return (1);
		printf("%s: %d inputs replayed\n", FUZZ_TARGET, argc - 1);
		return (0);
	}
	corpus = replay_dir(FUZZ_SRCDIR "/corpus/" FUZZ_TARGET, corpus_entry);
	findings = replay_dir(FUZZ_SRCDIR "/findings", finding_entry);
	if (corpus < 0 || findings < 0)
		return (1);
	printf("%s: %d seed inputs and %d findings replayed\n", FUZZ_TARGET,
	    corpus, findings);
	/* A target without a seed corpus is a packaging mistake. */
	return (corpus > 0 ? 0 : 1);
}
