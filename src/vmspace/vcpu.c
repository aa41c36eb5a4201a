/*
 * vcpu.c - virtual CPUs: one tracer thread each, a registry of them, and
 * the per-vCPU interrupt (the IPI).
 *
 * Layer: src/vmspace. A vCPU is what ptrace makes of a thread: the host
 * threads it traces answer to it alone. So it is tied to the thread that
 * made it (thread-local cur_vcpu); a thread that makes none gets an
 * implicit one at its first call that needs one, freed when it exits. The
 * registry maps vCPU ids to tracer tids so that uvk_vmspace_interrupt can
 * reach the vCPUs in a vmspace's active set from a signal handler, without
 * a lock and without following a pointer that might be freed meanwhile.
 *
 * Lock: vcpu_lock guards vcpu_used and vcpu_serial; vcpu_tids[] and
 * vcpu_nr are atomics written under it and read anywhere.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define TLS __thread __attribute__((tls_model("initial-exec")))

static pthread_mutex_t vcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t vcpu_used;   /* bit per id in use */
static uint64_t vcpu_serial; /* the last serial handed out */
static _Atomic pid_t vcpu_tids[UVK_VCPU_MAX];
static atomic_int vcpu_nr;

static TLS struct uvk_vcpu *cur_vcpu;

static pthread_once_t vcpu_once = PTHREAD_ONCE_INIT;
static pthread_key_t vcpu_key; /* set for implicit vCPUs: freed at thread exit */
static int vcpu_once_rc;

static void unregister(struct uvk_vcpu *v);

static void
implicit_gone(void *p)
{
	struct uvk_vcpu *v = p;

	unregister(v);
	free(v);
}

/*
 * A forked child has one thread, the forking one, and none of the parent's
 * tracees: start the registry afresh (the parent's vCPU objects are leaked
 * in the child, which cannot use them).
 */
static void
forget_after_fork(void)
{
	vcpu_used = 0;
	for (int i = 0; i < UVK_VCPU_MAX; i++)
		atomic_store(&vcpu_tids[i], 0);
	atomic_store(&vcpu_nr, 0);
	pthread_mutex_init(&vcpu_lock, NULL);
	cur_vcpu = NULL;
	pthread_setspecific(vcpu_key, NULL);
}

static void
vcpu_init_once(void)
{
	vcpu_once_rc = -pthread_key_create(&vcpu_key, implicit_gone);
	if (!vcpu_once_rc)
		vcpu_once_rc = -pthread_atfork(NULL, NULL, forget_after_fork);
}

/* Take an id and a serial for v, the calling thread's. 0 or -ENOSPC. */
static int
register_vcpu(struct uvk_vcpu *v)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&vcpu_lock);
	if (~vcpu_used) {
		v->id = __builtin_ctzll(~vcpu_used);
		vcpu_used |= 1ULL << v->id;
		v->serial = ++vcpu_serial;
		v->tid = tracer_gettid();
		atomic_store(&vcpu_tids[v->id], v->tid);
		atomic_fetch_add(&vcpu_nr, 1);
		rc = 0;
	}
	pthread_mutex_unlock(&vcpu_lock);
	return rc;
}

static void
unregister(struct uvk_vcpu *v)
{
	pthread_mutex_lock(&vcpu_lock);
	if (vcpu_used & (1ULL << v->id)) {
		vcpu_used &= ~(1ULL << v->id);
		atomic_store(&vcpu_tids[v->id], 0);
		atomic_fetch_sub(&vcpu_nr, 1);
	}
	pthread_mutex_unlock(&vcpu_lock);
}

/* Make the calling thread's vCPU. NULL with errno set. */
static struct uvk_vcpu *
vcpu_new(bool implicit, int host_cpu)
{
	struct uvk_vcpu *v;
	int rc;

	pthread_once(&vcpu_once, vcpu_init_once);
	rc = vcpu_once_rc ? vcpu_once_rc : tracer_kick_init();
	if (rc) {
		errno = -rc;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->implicit = implicit;
	v->host_cpu = host_cpu;
	rc = register_vcpu(v);
	if (rc) {
		free(v);
		errno = -rc;
		return NULL;
	}
	if (implicit)
		pthread_setspecific(vcpu_key, v);
	cur_vcpu = v;
	return v;
}

/* vcpu_self - see internal.h. The fast path is one thread-local load. */
struct uvk_vcpu *
vcpu_self(void)
{
	struct uvk_vcpu *v = cur_vcpu;

	return v ? v : vcpu_new(true, -1);
}

struct uvk_vcpu *
vcpu_self_peek(void)
{
	return cur_vcpu;
}

int
vcpu_count(void)
{
	return atomic_load_explicit(&vcpu_nr, memory_order_relaxed);
}

pid_t
vcpu_tid_of(int id)
{
	return atomic_load_explicit(&vcpu_tids[id], memory_order_relaxed);
}

/*
 * vcpu_cpus - the CPUs v's host threads may run on: its own CPU when it is
 * pinned, else whatever its tracer thread may use now (it is the caller).
 */
int
vcpu_cpus(const struct uvk_vcpu *v, cpu_set_t *ret)
{
	if (v->host_cpu >= 0) {
		CPU_ZERO(ret);
		CPU_SET(v->host_cpu, ret);
		return 0;
	}
	return sched_getaffinity(0, sizeof(*ret), ret) ? -errno : 0;
}

/* uvk_vcpu_create - see uvk/vmspace.h. */
UVK_EXPORT struct uvk_vcpu *
uvk_vcpu_create(int host_cpu)
{
	struct uvk_vcpu *v = cur_vcpu;
	cpu_set_t set;

	if (v && !v->implicit) {
		errno = EBUSY;
		return NULL;
	}
	if (host_cpu < -1 || host_cpu >= CPU_SETSIZE) {
		errno = EINVAL;
		return NULL;
	}
	if (host_cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(host_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return NULL; /* EINVAL: not a CPU we may use */
	}
	if (v) {
		/* the implicit one becomes explicit: its host threads stay its own */
		pthread_setspecific(vcpu_key, NULL);
		v->implicit = false;
		v->host_cpu = host_cpu;
		return v;
	}
	return vcpu_new(false, host_cpu);
}

/* uvk_vcpu_self - see uvk/vmspace.h. */
UVK_EXPORT struct uvk_vcpu *
uvk_vcpu_self(void)
{
	return vcpu_self();
}

/* uvk_vcpu_free - see uvk/vmspace.h. */
UVK_EXPORT void
uvk_vcpu_free(struct uvk_vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu == cur_vcpu) {
		cur_vcpu = NULL;
		if (vcpu->implicit)
			pthread_setspecific(vcpu_key, NULL);
	}
	unregister(vcpu);
	free(vcpu);
}

/* uvk_vcpu_id - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vcpu_id(const struct uvk_vcpu *vcpu)
{
	return vcpu->id;
}

/*
 * uvk_vcpu_interrupt - see uvk/vmspace.h. The flag first, then the signal:
 * the handler's PTRACE_INTERRUPT stops a run in progress, whose loop finds
 * the flag; a run about to start finds it before it resumes.
 */
UVK_EXPORT int
uvk_vcpu_interrupt(struct uvk_vcpu *vcpu)
{
	atomic_store(&vcpu->kick, 1);
	return tracer_kick_thread(vcpu->tid);
}
