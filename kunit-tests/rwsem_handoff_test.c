// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "rwsem_handoff": a read hold handed over to asynchronous work
 * and released in task, workqueue, softirq or hardirq context leaves the
 * count and owner words true after every step, wakes writers, and keeps
 * writers from spinning on it.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/wait_bit.h>

#include "ktest_context.h"
#include "ktest_guard.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* How long a helper thread may take to reach the state a case waits for. */
#define WAIT_MS		5000
#define WAIT_JIFFIES	msecs_to_jiffies(WAIT_MS)

static struct rwsem_kunit_state state_of(struct rw_semaphore *sem)
{
	struct rwsem_kunit_state state;

	rwsem_kunit_state(sem, &state);
	return state;
}

/* Held for reading by @readers holds and owned by @task as the word says. */
static void expect_read_held(struct kunit *test, struct rw_semaphore *sem,
			     long readers, struct task_struct *task,
			     bool nonspinnable)
{
	struct rwsem_kunit_state s = state_of(sem);

	KUNIT_EXPECT_EQ(test, s.readers, readers);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	KUNIT_EXPECT_TRUE(test, s.reader_owned);
	KUNIT_EXPECT_PTR_EQ(test, s.owner, task);
	KUNIT_EXPECT_EQ(test, s.nonspinnable, nonspinnable);
}

/* Nothing holds @sem and nobody waits: the count word is zero. */
static void expect_free(struct kunit *test, struct rw_semaphore *sem)
{
	struct rwsem_kunit_state s = state_of(sem);

	KUNIT_EXPECT_EQ(test, s.count, 0);
	KUNIT_EXPECT_EQ(test, s.readers, 0);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	KUNIT_EXPECT_FALSE(test, s.waiters);
}

/* A completion that claims the handed-off hold and releases it. */
struct completion_probe {
	struct rw_semaphore *sem;
	struct rwsem_kunit_state claimed;	/* words after the claim */
	struct rwsem_kunit_state released;	/* words after the release */
};

static void claim_and_release(void *arg)
{
	struct completion_probe *probe = arg;

	rwsem_handoff_claim(probe->sem);
	rwsem_kunit_state(probe->sem, &probe->claimed);
	rwsem_handoff_release(probe->sem);
	rwsem_kunit_state(probe->sem, &probe->released);
}

static const enum ktest_context all_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE, KTEST_CTX_SOFTIRQ, KTEST_CTX_HARDIRQ,
};

static void context_to_desc(const enum ktest_context *context, char *desc)
{
	strscpy(desc, ktest_context_name(*context), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(context, all_contexts, context_to_desc);

/* down_read, hand off, release in the chosen context: every step is true. */
static void handoff_then_release_in_context(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;
	struct completion_probe probe = {};
	struct ktest_where where;
	struct rw_semaphore sem;

	init_rwsem(&sem);
	probe.sem = &sem;
	expect_free(test, &sem);

	down_read(&sem);
	expect_read_held(test, &sem, 1, current, false);

	rwsem_handoff_read(&sem);
	/* Still held, by no task, and no writer may spin on it. */
	expect_read_held(test, &sem, 1, NULL, true);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(context, claim_and_release,
						   &probe, &where), 0);
	KUNIT_EXPECT_EQ(test, where.context, context);

	/* The claim changes nothing in the words, it is lockdep's business. */
	KUNIT_EXPECT_EQ(test, probe.claimed.readers, 1);
	KUNIT_EXPECT_PTR_EQ(test, probe.claimed.owner, NULL);
	KUNIT_EXPECT_TRUE(test, probe.claimed.nonspinnable);
	KUNIT_EXPECT_EQ(test, probe.released.count, 0);
	expect_free(test, &sem);

	/* A writer takes the whole owner word: no flag left behind. */
	KUNIT_ASSERT_TRUE(test, down_write_trylock(&sem));
	KUNIT_EXPECT_PTR_EQ(test, state_of(&sem).owner, current);
	KUNIT_EXPECT_FALSE(test, state_of(&sem).nonspinnable);
	KUNIT_EXPECT_FALSE(test, state_of(&sem).reader_owned);
	up_write(&sem);
	expect_free(test, &sem);
}

/* A writer that blocks in down_write() while a handed-off hold is out. */
struct blocked_writer {
	struct rw_semaphore *sem;
	struct completion acquired;
	struct completion may_unlock;
	struct rwsem_kunit_state on_acquire;
	ktime_t acquired_at;
};

static int blocked_writer_fn(void *arg)
{
	struct blocked_writer *w = arg;

	down_write(w->sem);
	w->acquired_at = ktime_get();
	rwsem_kunit_state(w->sem, &w->on_acquire);
	complete(&w->acquired);
	wait_for_completion(&w->may_unlock);
	up_write(w->sem);
	return 0;
}

/* Poll until @sem has a waiter queued; false if none came in time. */
static bool wait_for_waiter(struct rw_semaphore *sem)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		if (state_of(sem).waiters)
			return true;
		usleep_range(1000, 2000);
	}
	return false;
}

struct timed_release {
	struct completion_probe probe;
	ktime_t released_at;
};

static void timed_claim_and_release(void *arg)
{
	struct timed_release *r = arg;

	r->released_at = ktime_get();
	claim_and_release(&r->probe);
}

static void writer_gets_the_lock_when_the_handoff_is_released(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;
	struct timed_release release = {};
	struct blocked_writer w = {};
	struct task_struct *thread;
	struct rw_semaphore sem;

	init_rwsem(&sem);
	w.sem = &sem;
	release.probe.sem = &sem;
	init_completion(&w.acquired);
	init_completion(&w.may_unlock);

	down_read(&sem);
	rwsem_handoff_read(&sem);

	thread = kthread_run(blocked_writer_fn, &w, "ktest-writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	KUNIT_EXPECT_TRUE(test, wait_for_waiter(&sem));
	KUNIT_EXPECT_FALSE(test, completion_done(&w.acquired));
	/* Queuing the writer did not make the hand-off spinnable. */
	expect_read_held(test, &sem, 1, NULL, true);

	KUNIT_EXPECT_EQ(test, ktest_run_in_context(context, timed_claim_and_release,
						   &release, NULL), 0);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&w.acquired, WAIT_JIFFIES));
	KUNIT_EXPECT_TRUE(test, w.on_acquire.writer_locked);
	KUNIT_EXPECT_PTR_EQ(test, w.on_acquire.owner, thread);
	KUNIT_EXPECT_EQ(test, w.on_acquire.readers, 0);
	KUNIT_EXPECT_FALSE(test, ktime_before(w.acquired_at, release.released_at));

	complete(&w.may_unlock);
	/* The writer exits on its own; wait until it has unlocked. */
	down_read(&sem);
	up_read(&sem);
	expect_free(test, &sem);
}

/* A reader that blocks behind a write hold. */
struct blocked_reader {
	struct rw_semaphore *sem;
	struct completion acquired;
	struct completion may_unlock;
};

static int blocked_reader_fn(void *arg)
{
	struct blocked_reader *r = arg;

	down_read(r->sem);
	complete(&r->acquired);
	wait_for_completion(&r->may_unlock);
	up_read(r->sem);
	return 0;
}

/*
 * A writer downgrades and hands off in one step: a reader queued behind
 * it runs at once, while the handed-off hold is still out.
 */
static void write_hold_downgrades_and_hands_off(struct kunit *test)
{
	struct completion_probe probe = {};
	struct blocked_reader r = {};
	struct task_struct *thread;
	struct rw_semaphore sem;

	init_rwsem(&sem);
	probe.sem = &sem;
	r.sem = &sem;
	init_completion(&r.acquired);
	init_completion(&r.may_unlock);

	down_write(&sem);
	thread = kthread_run(blocked_reader_fn, &r, "ktest-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	KUNIT_EXPECT_TRUE(test, wait_for_waiter(&sem));
	KUNIT_EXPECT_FALSE(test, completion_done(&r.acquired));

	rwsem_handoff_write(&sem);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&r.acquired, WAIT_JIFFIES));
	/* Ours and the woken reader's: two read holds, ours owned by no task. */
	expect_read_held(test, &sem, 2, NULL, true);

	complete(&r.may_unlock);
	while (state_of(&sem).readers > 1)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	expect_free(test, &sem);
}

/* Every way of taking the lock can end in a hand-off. */
enum acquire_way {
	ACQ_DOWN_READ_TRYLOCK,
	ACQ_DOWN_READ_KILLABLE,
	ACQ_DOWN_READ_INTERRUPTIBLE,
	ACQ_DOWN_WRITE_TRYLOCK,
	ACQ_DOWN_WRITE_KILLABLE,
};

static const char * const acquire_way_names[] = {
	"down_read_trylock", "down_read_killable", "down_read_interruptible",
	"down_write_trylock", "down_write_killable",
};

static const enum acquire_way acquire_ways[] = {
	ACQ_DOWN_READ_TRYLOCK, ACQ_DOWN_READ_KILLABLE,
	ACQ_DOWN_READ_INTERRUPTIBLE, ACQ_DOWN_WRITE_TRYLOCK,
	ACQ_DOWN_WRITE_KILLABLE,
};

static void acquire_way_to_desc(const enum acquire_way *way, char *desc)
{
	strscpy(desc, acquire_way_names[*way], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(acquire_way, acquire_ways, acquire_way_to_desc);

/* Take @sem the chosen way and hand the hold off; false if not taken. */
static bool acquire_and_hand_off(struct rw_semaphore *sem, enum acquire_way way)
{
	switch (way) {
	case ACQ_DOWN_READ_TRYLOCK:
		if (!down_read_trylock(sem))
			return false;
		break;
	case ACQ_DOWN_READ_KILLABLE:
		if (down_read_killable(sem))
			return false;
		break;
	case ACQ_DOWN_READ_INTERRUPTIBLE:
		if (down_read_interruptible(sem))
			return false;
		break;
	case ACQ_DOWN_WRITE_TRYLOCK:
		if (!down_write_trylock(sem))
			return false;
		rwsem_handoff_write(sem);
		return true;
	case ACQ_DOWN_WRITE_KILLABLE:
		if (down_write_killable(sem))
			return false;
		rwsem_handoff_write(sem);
		return true;
	}
	rwsem_handoff_read(sem);
	return true;
}

static void every_acquire_way_hands_off(struct kunit *test)
{
	enum acquire_way way = *(const enum acquire_way *)test->param_value;
	struct completion_probe probe = {};
	struct rw_semaphore sem;

	init_rwsem(&sem);
	probe.sem = &sem;

	KUNIT_ASSERT_TRUE(test, acquire_and_hand_off(&sem, way));
	expect_read_held(test, &sem, 1, NULL, true);
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_SOFTIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	expect_free(test, &sem);
}

/* Many hand-offs at once, released in all contexts in a mixed order. */
#define MANY_HANDOFFS	64

static void many_handoffs_released_in_mixed_contexts(struct kunit *test)
{
	struct completion_probe *probes;
	struct ktest_call *calls;
	struct rw_semaphore sem;
	bool started[MANY_HANDOFFS];
	int i;

	calls = kunit_kcalloc(test, MANY_HANDOFFS, sizeof(*calls), GFP_KERNEL);
	probes = kunit_kcalloc(test, MANY_HANDOFFS, sizeof(*probes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, calls);
	KUNIT_ASSERT_NOT_NULL(test, probes);
	init_rwsem(&sem);

	for (i = 0; i < MANY_HANDOFFS; i++) {
		down_read(&sem);
		rwsem_handoff_read(&sem);
	}
	expect_read_held(test, &sem, MANY_HANDOFFS, NULL, true);

	/* Spread over 0-3 ms so that contexts interleave; no assertion here. */
	for (i = 0; i < MANY_HANDOFFS; i++) {
		probes[i].sem = &sem;
		started[i] = !ktest_call_start(&calls[i], i % KTEST_CTX_NR,
					       claim_and_release, &probes[i],
					       (i * 7 % 32) * 100 * NSEC_PER_USEC);
	}
	for (i = 0; i < MANY_HANDOFFS; i++) {
		KUNIT_EXPECT_TRUE(test, started[i]);
		if (started[i])
			KUNIT_EXPECT_EQ(test, ktest_call_wait(&calls[i], WAIT_MS), 0);
	}
	expect_free(test, &sem);
}

/*
 * Stress: writers contend while readers hand their holds off and other
 * CPUs release them from hardirq.  Readers hand off one at a time (a test
 * mutex), so no concurrent down_read() can rewrite the owner hint: then
 * every release must find the word still reader owned and non-spinnable,
 * which is what keeps rwsem_can_spin_on_owner() and rwsem_spin_on_owner()
 * from spinning on a handed-off hold.
 */
#define STRESS_READS	2000
#define STRESS_WRITERS	2

struct stress {
	struct rw_semaphore sem;
	struct mutex reader_turn;	/* one reader hands off at a time */
	atomic_t outstanding;		/* handed off, not yet released */
	atomic_t released;
	atomic_t spinnable_seen;	/* releases that found no NONSPINNABLE */
	atomic_t released_elsewhere;	/* releases on another CPU than the hand-off */
	atomic_t writes;
};

struct release_req {
	struct stress *stress;
	int cpu;			/* where the hold was handed off */
	call_single_data_t csd;
	struct ktest_call call;
	bool by_call;			/* call must be waited for */
};

static void stress_release(void *arg)
{
	struct release_req *req = arg;
	struct stress *stress = req->stress;
	struct rwsem_kunit_state s;

	rwsem_kunit_state(&stress->sem, &s);
	if (!s.reader_owned || !s.nonspinnable || s.writer_locked)
		atomic_inc(&stress->spinnable_seen);
	rwsem_handoff_claim(&stress->sem);
	rwsem_handoff_release(&stress->sem);
	atomic_inc(&stress->released);
	if (raw_smp_processor_id() != req->cpu)
		atomic_inc(&stress->released_elsewhere);
	if (atomic_dec_and_test(&stress->outstanding))
		wake_up_var(&stress->outstanding);
}

/* Release on another CPU by IPI when there is one, else by hrtimer. */
static void start_release(struct release_req *req)
{
	int cpu;

	req->cpu = raw_smp_processor_id();
	cpu = cpumask_next(req->cpu, cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	if (cpu != req->cpu) {
		INIT_CSD(&req->csd, stress_release, req);
		if (!smp_call_function_single_async(cpu, &req->csd))
			return;
	}
	req->by_call = !ktest_call_start(&req->call, KTEST_CTX_HARDIRQ,
					 stress_release, req, 0);
	if (!req->by_call)
		stress_release(req);
}

static int stress_writer_fn(void *arg)
{
	struct stress *stress = arg;

	while (!kthread_should_stop()) {
		down_write(&stress->sem);
		atomic_inc(&stress->writes);
		up_write(&stress->sem);
		cond_resched();
	}
	return 0;
}

static void stress_one_read(struct stress *stress, struct release_req *req)
{
	mutex_lock(&stress->reader_turn);
	down_read(&stress->sem);
	atomic_inc(&stress->outstanding);
	rwsem_handoff_read(&stress->sem);
	mutex_unlock(&stress->reader_turn);
	req->stress = stress;
	start_release(req);
}

static void writers_never_see_a_spinnable_handoff(struct kunit *test)
{
	struct task_struct *writers[STRESS_WRITERS];
	struct release_req *reqs;
	struct stress *stress;
	int i;

	stress = kunit_kzalloc(test, sizeof(*stress), GFP_KERNEL);
	reqs = kunit_kcalloc(test, STRESS_READS, sizeof(*reqs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stress);
	KUNIT_ASSERT_NOT_NULL(test, reqs);
	init_rwsem(&stress->sem);
	mutex_init(&stress->reader_turn);
	atomic_set(&stress->outstanding, 1);	/* ours, dropped below */

	for (i = 0; i < STRESS_WRITERS; i++)
		writers[i] = kthread_run(stress_writer_fn, stress, "ktest-w%d", i);
	for (i = 0; i < STRESS_WRITERS; i++)
		KUNIT_EXPECT_FALSE(test, IS_ERR(writers[i]));
	for (i = 0; i < STRESS_READS; i++) {
		stress_one_read(stress, &reqs[i]);
		if (i % 64 == 63)
			cond_resched();
	}
	if (!atomic_dec_and_test(&stress->outstanding))
		wait_var_event_timeout(&stress->outstanding,
				       !atomic_read(&stress->outstanding),
				       10 * WAIT_JIFFIES);
	for (i = 0; i < STRESS_WRITERS; i++)
		if (!IS_ERR(writers[i]))
			kthread_stop(writers[i]);
	for (i = 0; i < STRESS_READS; i++)
		if (reqs[i].by_call)
			ktest_call_wait(&reqs[i].call, KTEST_CALL_TIMEOUT_MS);

	KUNIT_EXPECT_EQ(test, atomic_read(&stress->outstanding), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&stress->released), STRESS_READS);
	KUNIT_EXPECT_EQ(test, atomic_read(&stress->spinnable_seen), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&stress->writes), 0);
	expect_free(test, &stress->sem);
	/* With a second CPU, every release was an IPI to another CPU. */
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_EQ(test, atomic_read(&stress->released_elsewhere),
				STRESS_READS);
	kunit_info(test, "%d CPUs, %d writes interleaved with %d hand-offs, %d released on another CPU",
		   num_online_cpus(), atomic_read(&stress->writes), STRESS_READS,
		   atomic_read(&stress->released_elsewhere));
}

static struct kunit_case rwsem_handoff_cases[] = {
	KUNIT_CASE_PARAM(handoff_then_release_in_context, context_gen_params),
	KUNIT_CASE_PARAM(writer_gets_the_lock_when_the_handoff_is_released,
			 context_gen_params),
	KUNIT_CASE(write_hold_downgrades_and_hands_off),
	KUNIT_CASE_PARAM(every_acquire_way_hands_off, acquire_way_gen_params),
	KUNIT_CASE(many_handoffs_released_in_mixed_contexts),
	KUNIT_CASE_SLOW(writers_never_see_a_spinnable_handoff),
	{}
};

static struct kunit_suite rwsem_handoff_suite = {
	.name = "rwsem_handoff",
	.init = ktest_guard_init,
	.test_cases = rwsem_handoff_cases,
};

kunit_test_suite(rwsem_handoff_suite);

MODULE_DESCRIPTION("KUnit suite for the rwsem read hold hand-off");
MODULE_LICENSE("GPL");
