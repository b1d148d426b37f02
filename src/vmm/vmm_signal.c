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
 * Signals during VMM_IOC_RUN, as the kernel has them: a signal for the
 * thread in RUN ends the run (vcpu_must_stop: RUN returns 0 with
 * VM_EXIT_NONE), and its handler runs only once RUN has returned, never
 * in the middle of the monitor.
 *
 * Two ways to get that, chosen once per process:
 *
 * CHAIN (default): this file defines sigaction(2), signal(3), bsd_signal,
 *   ssignal, sysv_signal and __sysv_signal, so that every handler the
 *   program installs through libc is installed behind one trampoline
 *   (what the JVM's libjsig does).  The trampoline, on a thread that is in
 *   RUN, only notes the signal (its siginfo, in a list of the thread) and
 *   returns; the run loop sees the note at its next check and returns, and
 *   RUN, once the vcpu is stopped and unlocked, sends each noted signal
 *   again to its own thread with its siginfo (rt_tgsigqueueinfo), which
 *   runs the program's handler as the kernel would have on the way out of
 *   the ioctl.  Elsewhere the trampoline calls the handler directly.  A RUN
 *   costs no system call.  Handlers installed before the first use are
 *   adopted (put behind the trampoline) then.
 *
 * MASK (VMMSIM_SIGCHAIN=0, or when this library's sigaction is not the
 *   one the program calls, e.g. loaded with dlopen): RUN blocks the
 *   asynchronous signals while the vcpu runs, so that one sent meanwhile
 *   stays pending, asks sigpending() at each check, and puts the caller's
 *   mask back after; two or three system calls per RUN.
 *
 * What CHAIN does not see: handlers installed after the first use by
 * other means than the functions above (the raw rt_sigaction system call,
 * sigset(3), sigvec): such a handler can run in the middle of a RUN; use
 * VMMSIM_SIGCHAIN=0 there.  Synchronous signals (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS) are never held back, in either mode.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define SC_NSIG		65		/* signals 1..64 */
#define SC_RTQ		64		/* RT signals held per RUN */

typedef int (*sigaction_fn)(int, const struct sigaction *,
    struct sigaction *);

/* The program's action for one signal, as it gave it. */
struct sc_act {
	struct sigaction	 sa;
	int			 set;	/* behind the trampoline */
};

/*
 * Per signal, the action and a sequence number (a seqlock): a writer
 * (signals blocked, sc_wlock held) makes the sequence odd, writes, makes
 * it even; the trampoline copies until it reads the same even number on
 * both sides.
 */
static struct sc_act	sc_act[SC_NSIG];
static unsigned		sc_seq[SC_NSIG];
static pthread_mutex_t	sc_wlock = PTHREAD_MUTEX_INITIALIZER;

static int		sc_mode;	/* VMM_SIG_CHAIN or VMM_SIG_MASK */
static pthread_once_t	sc_once_setup = PTHREAD_ONCE_INIT;
static pthread_once_t	sc_once_mode = PTHREAD_ONCE_INIT;
static sigaction_fn	sc_real;
static int		sc_key_ok;

/*
 * A held signal's siginfo: the part an asynchronous signal fills (signo,
 * errno, code, then at most SIGCHLD's pid, uid, status, utime and stime);
 * the rest of a siginfo_t is for faults and seccomp.
 */
#define SC_INFO		48
struct sc_info {
	unsigned char		b[SC_INFO];
};

/* What the trampoline held back on a thread during a RUN. */
struct sc_held {
	uint64_t		std;		/* held standard signals */
	struct sc_info		std_info[32];	/* signals 1..31 */
	unsigned		nrt;		/* held RT signals, in order */
	struct sc_info		rt[SC_RTQ];
};

static void
sc_keep(struct sc_info *to, const siginfo_t *si)
{
	memcpy(to->b, si, SC_INFO);
}

static void
sc_unkeep(siginfo_t *si, const struct sc_info *from)
{
	memset(si, 0, sizeof(*si));
	memcpy(si, from->b, SC_INFO);
}

/*
 * Per thread, small and in the static TLS block (initial-exec: the
 * trampoline must not make glibc allocate a TLS block in a handler, and
 * a library loaded by dlopen gets only a little static TLS).  The list of
 * held signals is allocated by the thread's first RUN, freed at its exit.
 */
struct sc_thread {
	volatile sig_atomic_t	in_run;
	volatile sig_atomic_t	stop;		/* something was held */
	volatile sig_atomic_t	in_init;
	unsigned		probe;		/* our sigaction was entered */
	struct sc_held		*held;
};
static __thread struct sc_thread sc_t
    __attribute__((tls_model("initial-exec")));
static pthread_key_t	sc_key;		/* frees sc_t.held at thread exit */

extern int __sigaction(int, const struct sigaction *, struct sigaction *);
/* Older names of signal(3) that <signal.h> declares only in some modes. */
sighandler_t	bsd_signal(int, sighandler_t);
sighandler_t	ssignal(int, sighandler_t);
sighandler_t	sysv_signal(int, sighandler_t);
sighandler_t	__sysv_signal(int, sighandler_t);

static void	sc_tramp(int, siginfo_t *, void *);

/* A signal that a handler may be held back for: not synchronous. */
static int
sc_async(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGFPE:
	case SIGILL: case SIGTRAP: case SIGSYS:
		return (0);
	}
	return (sig > 0 && sig < SC_NSIG);
}

static int
sc_is_fn(const struct sigaction *sa)
{
	return (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static void
sc_read(int sig, struct sc_act *out)
{
	unsigned s;

	for (;;) {
		s = __atomic_load_n(&sc_seq[sig], __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		memcpy(out, &sc_act[sig], sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sc_seq[sig], __ATOMIC_RELAXED) == s)
			return;
	}
}

static void
sc_write(int sig, const struct sigaction *sa, int set)
{
	__atomic_store_n(&sc_seq[sig], sc_seq[sig] + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (sa != NULL)
		sc_act[sig].sa = *sa;
	sc_act[sig].set = set;
	__atomic_store_n(&sc_seq[sig], sc_seq[sig] + 1, __ATOMIC_RELEASE);
}

/*
 * Install the program's action `act` for sig (NULL: only report it) and
 * report the previous one in oact, as sigaction(2).  Signals are blocked
 * while sc_wlock is held, so no trampoline on this thread can find a
 * half-written action.
 */
static int
sc_install(int sig, const struct sigaction *act, struct sigaction *oact)
{
	struct sigaction k, prev;
	sigset_t all, omask;
	int ret = 0, err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &omask);
	pthread_mutex_lock(&sc_wlock);
	if (sc_act[sig].set)
		prev = sc_act[sig].sa;
	else if (sc_real(sig, NULL, &prev) != 0) {
		ret = -1;
		err = errno;
		goto out;
	}
	if (act != NULL) {
		if (sc_is_fn(act)) {
			k = *act;
			k.sa_sigaction = sc_tramp;
			k.sa_flags = (act->sa_flags | SA_SIGINFO) &
			    ~(SA_RESETHAND | SA_NODEFER);
			/* Record first: a signal may arrive at once. */
			sc_write(sig, act, 1);
			if (sc_real(sig, &k, NULL) != 0) {
				err = errno;
				ret = -1;
				sc_write(sig, &prev, sc_is_fn(&prev));
				goto out;
			}
		} else {
			if (sc_real(sig, act, NULL) != 0) {
				err = errno;
				ret = -1;
				goto out;
			}
			sc_write(sig, NULL, 0);
		}
	}
	if (oact != NULL)
		*oact = prev;
out:
	pthread_mutex_unlock(&sc_wlock);
	pthread_sigmask(SIG_SETMASK, &omask, NULL);
	if (ret != 0)
		errno = err;
	return (ret);
}

/* Run the program's handler for sig as the kernel would have. */
static void
sc_deliver(int sig, siginfo_t *si, void *uc)
{
	struct sc_act a;
	struct sigaction dfl;
	sigset_t one;

	sc_read(sig, &a);
	if (!a.set || !sc_is_fn(&a.sa))
		return;		/* changed under us: as if it came after */
	if (a.sa.sa_flags & SA_RESETHAND) {
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		(void)sc_install(sig, &dfl, NULL);
	}
	if (a.sa.sa_flags & SA_NODEFER) {
		sigemptyset(&one);
		sigaddset(&one, sig);
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	}
	if (a.sa.sa_flags & SA_SIGINFO)
		a.sa.sa_sigaction(sig, si, uc);
	else
		a.sa.sa_handler(sig);
}

static void
sc_tramp(int sig, siginfo_t *si, void *uc)
{
	struct sc_thread *t = &sc_t;
	struct sc_held *h;
	int saved;

	if (!t->in_run) {
		sc_deliver(sig, si, uc);
		return;
	}
	saved = errno;
	h = t->held;			/* allocated before in_run was set */
	if (sig < SIGRTMIN) {
		/* A standard signal pending already is not queued again. */
		if (!(h->std & (1ULL << sig))) {
			sc_keep(&h->std_info[sig], si);
			h->std |= 1ULL << sig;
		}
	} else if (h->nrt < SC_RTQ)
		sc_keep(&h->rt[h->nrt++], si);
	/* else: more RT signals than the queue holds during one RUN: lost */
	t->stop = 1;
	errno = saved;
}

/* Send a held signal to this thread again, with its siginfo. */
static void
sc_resend(int sig, siginfo_t *si)
{
	si->si_signo = sig;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid),
	    sig, si) != 0)
		(void)syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid),
		    sig);
}

/*
 * Send what the trampoline held, lowest signal first and each RT signal
 * in the order it came (the order the kernel delivers pending signals).
 * One at a time, taken off the list first: a handler that leaves by
 * siglongjmp leaves the rest for the next RUN's start or end.
 */
static int
sc_signo(const struct sc_info *k)
{
	int signo;

	memcpy(&signo, k->b, sizeof(signo));	/* si_signo comes first */
	return (signo);
}

static void
sc_release(void)
{
	struct sc_held *h = sc_t.held;
	siginfo_t si;
	unsigned i;
	int sig, lo;

	for (;;) {
		sig = 0;
		if (h->std != 0)
			sig = __builtin_ctzll(h->std);
		if (sig != 0) {
			sc_unkeep(&si, &h->std_info[sig]);
			h->std &= ~(1ULL << sig);
		} else if (h->nrt != 0) {
			lo = 0;
			for (i = 1; i < h->nrt; i++)
				if (sc_signo(&h->rt[i]) < sc_signo(&h->rt[lo]))
					lo = (int)i;
			sc_unkeep(&si, &h->rt[lo]);
			sig = si.si_signo;
			memmove(&h->rt[lo], &h->rt[lo + 1],
			    (h->nrt - (unsigned)lo - 1) * sizeof(h->rt[0]));
			h->nrt--;
		} else
			break;
		sc_resend(sig, &si);
	}
	sc_t.stop = 0;
}

/* Something held and not yet sent again (a handler left by siglongjmp). */
static int
sc_any_held(void)
{
	return (sc_t.held != NULL && (sc_t.held->std != 0 ||
	    sc_t.held->nrt != 0));
}

/* Adopt the handlers the program installed before: behind the trampoline. */
static void
sc_adopt(void)
{
	struct sigaction cur;
	int sig;

	for (sig = 1; sig < SC_NSIG; sig++) {
		if (!sc_async(sig) || sc_real(sig, NULL, &cur) != 0)
			continue;
		if (!sc_is_fn(&cur) || cur.sa_sigaction == sc_tramp)
			continue;
		/* glibc reports its restorer flag; the program never set it. */
		cur.sa_flags &= ~0x04000000;
		(void)sc_install(sig, &cur, NULL);
	}
}

/* What the interposed functions need, from their first call on. */
static void
sc_setup(void)
{
	sc_real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	if (sc_real == NULL)
		sc_real = __sigaction;		/* a static program */
	sc_key_ok = pthread_key_create(&sc_key, free) == 0;
}

/*
 * The mode, at the first RUN: by then the program has been loaded and
 * started (the sanitizers' runtimes call sigaction before libc has the
 * environment).
 */
static void
sc_decide(void)
{
	const char *e = getenv("VMMSIM_SIGCHAIN");
	struct sigaction q;
	unsigned before;
	int mode;

	pthread_once(&sc_once_setup, sc_setup);
	if ((e != NULL && strcmp(e, "0") == 0) || !sc_key_ok)
		mode = VMM_SIG_MASK;
	else {
		/* Is ours the sigaction the program calls? */
		sc_t.in_init = 1;
		before = sc_t.probe;
		(void)vmm_sig_probe(SIGUSR1, NULL, &q);
		sc_t.in_init = 0;
		mode = sc_t.probe != before ? VMM_SIG_CHAIN : VMM_SIG_MASK;
	}
	if (mode == VMM_SIG_CHAIN)
		sc_adopt();
	__atomic_store_n(&sc_mode, mode, __ATOMIC_RELEASE);
}

int
vmm_sig_mode(void)
{
	if (__atomic_load_n(&sc_mode, __ATOMIC_ACQUIRE) == 0)
		pthread_once(&sc_once_mode, sc_decide);
	return (sc_mode);
}

/* --- the interposed libc functions -------------------------------------- */

/*
 * Every handler for an asynchronous signal goes behind the trampoline,
 * whatever the mode: with RUN blocking the signals (MASK) the trampoline
 * only ever calls the handler.
 */
int
sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
	sc_t.probe++;
	pthread_once(&sc_once_setup, sc_setup);
	if (sc_t.in_init || !sc_async(sig))
		return (sc_real(sig, act, oact));
	return (sc_install(sig, act, oact));
}

static sighandler_t
sc_signal(int sig, sighandler_t h, int flags, int self)
{
	struct sigaction sa, old;

	if (h == SIG_ERR || sig <= 0 || sig >= SC_NSIG) {
		errno = EINVAL;
		return (SIG_ERR);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	if (self)
		sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = flags;
	if (sigaction(sig, &sa, &old) != 0)
		return (SIG_ERR);
	return (old.sa_handler);
}

/* BSD semantics, glibc's default for signal(3). */
sighandler_t
signal(int sig, sighandler_t h)
{
	return (sc_signal(sig, h, SA_RESTART, 1));
}

sighandler_t
bsd_signal(int sig, sighandler_t h)
{
	return (sc_signal(sig, h, SA_RESTART, 1));
}

sighandler_t
ssignal(int sig, sighandler_t h)
{
	return (sc_signal(sig, h, SA_RESTART, 1));
}

/* System V semantics: reset on delivery, not blocked in the handler. */
sighandler_t
sysv_signal(int sig, sighandler_t h)
{
	return (sc_signal(sig, h, SA_RESETHAND | SA_NODEFER, 0));
}

sighandler_t
__sysv_signal(int sig, sighandler_t h)
{
	return (sc_signal(sig, h, SA_RESETHAND | SA_NODEFER, 0));
}

/* --- RUN ---------------------------------------------------------------- */

/*
 * Before the vcpu runs (vm_run, vcpu lock held).  MASK: block the
 * asynchronous signals, the caller's mask into r->omask.
 */
void
vmm_sig_enter(struct vmm_sig_run *r)
{
	sigset_t async;

	r->mode = vmm_sig_mode();
	if (r->mode == VMM_SIG_CHAIN && sc_t.held == NULL) {
		if ((sc_t.held = calloc(1, sizeof(*sc_t.held))) == NULL ||
		    pthread_setspecific(sc_key, sc_t.held) != 0) {
			free(sc_t.held);
			sc_t.held = NULL;
			r->mode = VMM_SIG_MASK;	/* this RUN only */
		}
	}
	if (r->mode == VMM_SIG_CHAIN) {
		if (sc_any_held())
			sc_release();	/* left by a handler's siglongjmp */
		sc_t.stop = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		sc_t.in_run = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		return;
	}
	sigfillset(&async);
	sigdelset(&async, SIGSEGV);
	sigdelset(&async, SIGBUS);
	sigdelset(&async, SIGFPE);
	sigdelset(&async, SIGILL);
	sigdelset(&async, SIGTRAP);
	sigdelset(&async, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &async, &r->omask);
}

/*
 * After RUN has let go of the vcpu and the VM: what was held back is
 * delivered now, as the kernel delivers on the way out of the ioctl.
 */
void
vmm_sig_leave(struct vmm_sig_run *r)
{
	if (r->mode == VMM_SIG_CHAIN) {
		sc_t.in_run = 0;
		if (sc_any_held())
			sc_release();
		sc_t.stop = 0;
		return;
	}
	pthread_sigmask(SIG_SETMASK, &r->omask, NULL);
}

/*
 * Whether a signal must end the RUN now: CHAIN, the trampoline held one
 * back; MASK, one is pending that the caller's own mask lets through
 * (OpenBSD's SIGPENDING: for the thread or its process, not masked by
 * the thread).  A signal the caller blocks itself does not end a RUN: on
 * Linux it is pending for the whole process until the thread that takes
 * it runs, and ending the RUN then would make when it ended depend on the
 * host's scheduling.
 */
int
vmm_sig_pending(const struct vmm_sig_run *r)
{
	sigset_t set;
	size_t i;

	if (r->mode == VMM_SIG_CHAIN)
		return (sc_t.stop != 0);
	if (sigpending(&set) == 0) {
		for (i = 1; i < (size_t)NSIG; i++)
			if (sigismember(&set, (int)i) == 1 &&
			    sigismember(&r->omask, (int)i) != 1)
				return (1);
	}
	return (0);
}
