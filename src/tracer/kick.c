/*
 * kick.c - interrupting a running child: timer ticks and kicks.
 *
 * Layer: src/tracer. Only the tracing thread may PTRACE_INTERRUPT its child,
 * and it spends the child's run blocked in waitpid. So a tick or a kick is a
 * signal (UVK_KICK_SIGNAL) directed at that thread, whose handler issues
 * the PTRACE_INTERRUPT itself; waitpid then returns the interrupt stop. The
 * handler is installed with SA_RESTART, so nothing else the tracer does sees
 * EINTR because of it.
 *
 * Ordering: the run loop publishes the child's pid (tracer_running) before it
 * checks for pending ticks and resumes. A tick that lands before the pid is
 * published is seen by that check; one that lands after interrupts the child,
 * running or about to run. An interrupt aimed at a child that stopped
 * meanwhile stays pending and stops it right after its next resume; the run
 * loop treats an interrupt stop with nothing pending as spurious.
 */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <uvk/vmspace.h>

#include "internal.h"

#define TLS __thread __attribute__((tls_model("initial-exec")))

static TLS volatile pid_t running_pid;
static TLS volatile sig_atomic_t tick_pending;
static TLS timer_t tick_timer;
static TLS int tick_timer_made;

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;
static int kick_init_rc;

static TLS pid_t cached_tid;

/* A forked child is a new thread with the old TLS: forget the parent's tid. */
static void
forget_tid(void)
{
	cached_tid = 0;
}

#ifdef __SANITIZE_THREAD__
/*
 * ThreadSanitizer builds (-Dtsan=true) only. The tool wraps every handler
 * installed with sigaction() and runs an asynchronous signal's handler
 * only when the thread next passes through a function it knows to block;
 * a tracer thread spends the child's run in waitpid, restarted by
 * SA_RESTART after each signal, so the kick would wait for the child's
 * next stop -- forever, for a spinning guest. So the handler is installed
 * with the raw system call, out of the tool's sight, and is not
 * instrumented: it touches only this thread's two flags (which nothing
 * else writes) and makes a raw ptrace call.
 */
#define KICK_NOSAN __attribute__((no_sanitize("thread")))
#define KICK_PTRACE(req, pid) syscall(SYS_ptrace, (long)(req), (long)(pid), 0L, 0L)

void uvk_kick_restorer(void);
__asm__(".text\n"
	".align 16\n"
	".hidden uvk_kick_restorer\n"
	"uvk_kick_restorer:\n\t"
	"mov $15, %eax\n\t" /* rt_sigreturn */
	"syscall\n");

struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define SA_RESTORER_ 0x04000000
#else
#define KICK_NOSAN
#define KICK_PTRACE(req, pid) ptrace((req), (pid), 0, 0)
#endif

static void KICK_NOSAN
kick_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	pid_t pid = running_pid;

	if (si->si_code == SI_TIMER)
		tick_pending = 1;
	if (pid > 0)
		KICK_PTRACE(PTRACE_INTERRUPT, pid);
	errno = saved;
}

static void
kick_install(void)
{
#ifdef __SANITIZE_THREAD__
	struct kernel_sigaction ksa = { .handler = kick_handler,
					.flags = SA_SIGINFO | SA_RESTART | SA_RESTORER_,
					.restorer = uvk_kick_restorer };

	kick_init_rc = syscall(SYS_rt_sigaction, UVK_KICK_SIGNAL, &ksa, NULL, 8) ? -errno : 0;
#else
	struct sigaction sa = { .sa_sigaction = kick_handler, .sa_flags = SA_SIGINFO | SA_RESTART };

	sigemptyset(&sa.sa_mask);
	kick_init_rc = sigaction(UVK_KICK_SIGNAL, &sa, NULL) ? -errno : 0;
#endif
	if (!kick_init_rc)
		kick_init_rc = -pthread_atfork(NULL, NULL, forget_tid);
}

/* tracer_kick_init - install the kick handler once per process. */
int
tracer_kick_init(void)
{
	pthread_once(&kick_once, kick_install);
	return kick_init_rc;
}

/* tracer_running - publish the child this thread is about to wait for (0: none). */
void
tracer_running(pid_t pid)
{
	running_pid = pid;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* tracer_tick_take - true once per tick that arrived on this thread. */
bool
tracer_tick_take(void)
{
	if (!tick_pending)
		return false;
	tick_pending = 0;
	return true;
}

/* tracer_gettid - the calling thread's tid, asked of the host once per thread (it is on the run path). */
pid_t
tracer_gettid(void)
{
	if (!cached_tid)
		cached_tid = (pid_t)syscall(SYS_gettid);
	return cached_tid;
}

/* tracer_kick_thread - interrupt whatever the tracing thread tid is waiting for. */
int
tracer_kick_thread(pid_t tid)
{
	if (syscall(SYS_tgkill, getpid(), tid, UVK_KICK_SIGNAL))
		return -errno;
	return 0;
}

/*
 * tracer_tick_start - a periodic CLOCK_MONOTONIC timer delivering the kick
 * signal to the calling thread; 0 disarms it. Returns 0 or a negative errno.
 */
int
tracer_tick_start(uint64_t period_ns)
{
	struct itimerspec its = { 0 };
	int rc = tracer_kick_init();

	if (rc)
		return rc;
	if (!tick_timer_made) {
		struct sigevent sev = { 0 };

		if (!period_ns)
			return 0;
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = UVK_KICK_SIGNAL;
		sev._sigev_un._tid = tracer_gettid();
		if (timer_create(CLOCK_MONOTONIC, &sev, &tick_timer))
			return -errno;
		tick_timer_made = 1;
	}
	its.it_value.tv_sec = period_ns / 1000000000ULL;
	its.it_value.tv_nsec = period_ns % 1000000000ULL;
	its.it_interval = its.it_value;
	if (timer_settime(tick_timer, 0, &its, NULL))
		return -errno;
	return 0;
}
