// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "rwsem_transfer": a read hold handed over to asynchronous work
 * and released in task, workqueue, softirq or hardirq context leaves the
 * count and owner words true after every step, wakes writers, and keeps
 * writers from spinning on it.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/wait_bit.h>

#include "ktest_context.h"
#include "ktest_guard.h"
#include "ktest_rwsem.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* How long a helper thread may take to reach the state a case waits for. */
#define WAIT_MS		5000
#define WAIT_JIFFIES	msecs_to_jiffies(WAIT_MS)

static struct ktest_rwsem_state state_of(struct rw_semaphore *sem)
{
	struct ktest_rwsem_state state;

	ktest_rwsem_state(sem, &state);
	return state;
}

/*
 * Held for reading by @readers holds.  Where there is an owner word, it is
 * reader owned, names @task and forbids spinning as @nonspinnable says.
 */
static void expect_read_held(struct kunit *test, struct rw_semaphore *sem,
			     long readers, struct task_struct *task,
			     bool nonspinnable)
{
	struct ktest_rwsem_state s = state_of(sem);

	KUNIT_EXPECT_EQ(test, s.readers, readers);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	if (!ktest_rwsem_has_owner_word())
		return;
	KUNIT_EXPECT_TRUE(test, s.reader_owned);
	KUNIT_EXPECT_PTR_EQ(test, s.owner, task);
	KUNIT_EXPECT_EQ(test, s.nonspinnable, nonspinnable);
}

/* Nothing holds @sem and nobody waits; on RT the rtmutex is free. */
static void expect_free(struct kunit *test, struct rw_semaphore *sem)
{
	struct ktest_rwsem_state s = state_of(sem);

	KUNIT_EXPECT_EQ(test, s.readers, 0);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	KUNIT_EXPECT_FALSE(test, s.waiters);
	if (ktest_rwsem_has_owner_word())
		KUNIT_EXPECT_EQ(test, s.count, 0);
	else
		KUNIT_EXPECT_PTR_EQ(test, s.owner, NULL);
}

static void skip_without_owner_word(struct kunit *test)
{
	if (!ktest_rwsem_has_owner_word())
		kunit_skip(test, "PREEMPT_RT: rwbase_rt has no owner word");
}

/* A completion that claims the transferred hold and releases it. */
struct completion_probe {
	struct rw_semaphore *sem;
	struct ktest_rwsem_state claimed;	/* words after the claim */
	struct ktest_rwsem_state released;	/* words after the release */
	bool irqs_off_before;		/* interrupts off before the release */
	bool irqs_off_after;		/* and after it */
};

static void claim_and_release(void *arg)
{
	struct completion_probe *probe = arg;

	rwsem_transfer_claim(probe->sem);
	ktest_rwsem_state(probe->sem, &probe->claimed);
	probe->irqs_off_before = irqs_disabled();
	rwsem_transfer_release(probe->sem);
	probe->irqs_off_after = irqs_disabled();
	ktest_rwsem_state(probe->sem, &probe->released);
}

/* A release leaves interrupts as it found them, in hardirq too. */
static void expect_irq_state_kept(struct kunit *test,
				  const struct completion_probe *probe,
				  enum ktest_context context)
{
	KUNIT_EXPECT_EQ(test, probe->irqs_off_after, probe->irqs_off_before);
	if (context == KTEST_CTX_HARDIRQ)
		KUNIT_EXPECT_TRUE(test, probe->irqs_off_after);
}

static const enum ktest_context all_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE, KTEST_CTX_SOFTIRQ, KTEST_CTX_HARDIRQ,
};

static void context_to_desc(const enum ktest_context *context, char *desc)
{
	strscpy(desc, ktest_context_name(*context), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(context, all_contexts, context_to_desc);

/* down_read, transfer, release in the chosen context: every step is true. */
static void transfer_then_release_in_context(struct kunit *test)
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

	rwsem_transfer_read(&sem);
	/* Still held, by no task, and no writer may spin on it. */
	expect_read_held(test, &sem, 1, NULL, true);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(context, claim_and_release,
						   &probe, &where), 0);
	KUNIT_EXPECT_EQ(test, where.context, context);

	/* The claim changes nothing in the words, it is lockdep's business. */
	KUNIT_EXPECT_EQ(test, probe.claimed.readers, 1);
	KUNIT_EXPECT_PTR_EQ(test, probe.claimed.owner, NULL);
	KUNIT_EXPECT_EQ(test, probe.claimed.nonspinnable,
			ktest_rwsem_has_owner_word());
	KUNIT_EXPECT_EQ(test, probe.released.readers, 0);
	expect_irq_state_kept(test, &probe, context);
	expect_free(test, &sem);

	/* A writer takes the whole owner word: no flag left behind. */
	KUNIT_ASSERT_TRUE(test, down_write_trylock(&sem));
	KUNIT_EXPECT_PTR_EQ(test, state_of(&sem).owner, current);
	KUNIT_EXPECT_FALSE(test, state_of(&sem).nonspinnable);
	KUNIT_EXPECT_FALSE(test, state_of(&sem).reader_owned);
	up_write(&sem);
	expect_free(test, &sem);
}

/* A writer that blocks in down_write() while a transferred hold is out. */
struct blocked_writer {
	struct rw_semaphore *sem;
	struct completion acquired;
	struct completion may_unlock;
	struct ktest_rwsem_state on_acquire;
	ktime_t acquired_at;
};

static int blocked_writer_fn(void *arg)
{
	struct blocked_writer *w = arg;

	down_write(w->sem);
	w->acquired_at = ktime_get();
	ktest_rwsem_state(w->sem, &w->on_acquire);
	complete(&w->acquired);
	wait_for_completion(&w->may_unlock);
	up_write(w->sem);
	return 0;
}

/* Poll until @sem has at most @readers read holds; false on timeout. */
static bool wait_for_readers(struct rw_semaphore *sem, long readers)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		if (state_of(sem).readers <= readers)
			return true;
		usleep_range(1000, 2000);
	}
	return false;
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

static void writer_gets_the_lock_when_the_transfer_is_released(struct kunit *test)
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
	rwsem_transfer_read(&sem);

	thread = kthread_run(blocked_writer_fn, &w, "ktest-writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	KUNIT_EXPECT_TRUE(test, wait_for_waiter(&sem));
	KUNIT_EXPECT_FALSE(test, completion_done(&w.acquired));
	/* Queuing the writer did not make the transfer spinnable. */
	expect_read_held(test, &sem, 1, NULL, true);

	KUNIT_EXPECT_EQ(test, ktest_run_in_context(context, timed_claim_and_release,
						   &release, NULL), 0);
	/* The release woke the writer, so it took the slow path. */
	expect_irq_state_kept(test, &release.probe, context);
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
 * A writer downgrades and transfers in one step: a reader queued behind
 * it runs at once, while the transferred hold is still out.
 */
static void write_hold_downgrades_and_transfers(struct kunit *test)
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

	rwsem_transfer_write(&sem);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&r.acquired, WAIT_JIFFIES));
	/* Ours and the woken reader's: two read holds, ours owned by no task. */
	expect_read_held(test, &sem, 2, NULL, true);

	complete(&r.may_unlock);
	KUNIT_EXPECT_TRUE(test, wait_for_readers(&sem, 1));
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	expect_free(test, &sem);
}

/* Every way of taking the lock can end in a transfer. */
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

/* Take @sem the chosen way and transfer the hold; false if not taken. */
static bool acquire_and_transfer(struct rw_semaphore *sem, enum acquire_way way)
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
		rwsem_transfer_write(sem);
		return true;
	case ACQ_DOWN_WRITE_KILLABLE:
		if (down_write_killable(sem))
			return false;
		rwsem_transfer_write(sem);
		return true;
	}
	rwsem_transfer_read(sem);
	return true;
}

static void every_acquire_way_transfers(struct kunit *test)
{
	enum acquire_way way = *(const enum acquire_way *)test->param_value;
	struct completion_probe probe = {};
	struct rw_semaphore sem;

	init_rwsem(&sem);
	probe.sem = &sem;

	KUNIT_ASSERT_TRUE(test, acquire_and_transfer(&sem, way));
	expect_read_held(test, &sem, 1, NULL, true);
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_SOFTIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	expect_free(test, &sem);
}

/* Many transfers at once, released in all contexts in a mixed order. */
#define MANY_TRANSFERS	64

static void many_transfers_released_in_mixed_contexts(struct kunit *test)
{
	struct completion_probe *probes;
	struct ktest_call *calls;
	struct rw_semaphore sem;
	bool started[MANY_TRANSFERS];
	int i;

	calls = kunit_kcalloc(test, MANY_TRANSFERS, sizeof(*calls), GFP_KERNEL);
	probes = kunit_kcalloc(test, MANY_TRANSFERS, sizeof(*probes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, calls);
	KUNIT_ASSERT_NOT_NULL(test, probes);
	init_rwsem(&sem);

	for (i = 0; i < MANY_TRANSFERS; i++) {
		down_read(&sem);
		rwsem_transfer_read(&sem);
	}
	expect_read_held(test, &sem, MANY_TRANSFERS, NULL, true);

	/* Spread over 0-3 ms so that contexts interleave; no assertion here. */
	for (i = 0; i < MANY_TRANSFERS; i++) {
		probes[i].sem = &sem;
		started[i] = !ktest_call_start(&calls[i], i % KTEST_CTX_NR,
					       claim_and_release, &probes[i],
					       (i * 7 % 32) * 100 * NSEC_PER_USEC);
	}
	for (i = 0; i < MANY_TRANSFERS; i++) {
		KUNIT_EXPECT_TRUE(test, started[i]);
		if (started[i])
			KUNIT_EXPECT_EQ(test, ktest_call_wait(&calls[i], WAIT_MS), 0);
	}
	expect_free(test, &sem);
}

/*
 * The owner word after a misuse: the completion released the hold and a
 * writer took the lock before the submitter got round to the transfer.
 * The ordering rule forbids this; if it happens anyway, the late
 * transfer must not replace the writer's owner, or DEBUG_RWSEMS would
 * miss a non-owner up_write() and spinners would stop spinning on a
 * running writer.
 */
static void late_transfer_keeps_a_writers_owner_word(struct kunit *test)
{
	struct completion_probe probe = {};
	struct blocked_writer w = {};
	struct task_struct *thread;
	struct ktest_rwsem_state s;
	struct rw_semaphore sem;

	skip_without_owner_word(test);
	init_rwsem(&sem);
	probe.sem = &sem;
	w.sem = &sem;
	init_completion(&w.acquired);
	init_completion(&w.may_unlock);

	down_read(&sem);
	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_WORKQUEUE,
						   claim_and_release, &probe,
						   NULL), 0);
	thread = kthread_run(blocked_writer_fn, &w, "ktest-writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&w.acquired, WAIT_JIFFIES));

	/* DEBUG_RWSEMS may object to the misuse; only the words count here. */
	debug_locks_silent++;
	rwsem_transfer_read(&sem);
	debug_locks_silent--;

	s = state_of(&sem);
	KUNIT_EXPECT_TRUE(test, s.writer_locked);
	KUNIT_EXPECT_PTR_EQ(test, s.owner, thread);
	KUNIT_EXPECT_FALSE(test, s.reader_owned);
	KUNIT_EXPECT_FALSE(test, s.nonspinnable);

	complete(&w.may_unlock);
	down_read(&sem);
	up_read(&sem);
	expect_free(test, &sem);
}

/*
 * RWSEM_NONSPINNABLE is there for the transferred holds only.  While one
 * is out it stays; once the last one is released, the next reader must
 * find a spinnable word again, as if no transfer had ever happened.
 */
static void last_release_makes_the_word_spinnable_again(struct kunit *test)
{
	struct completion_probe first = {}, second = {};
	struct rw_semaphore sem;

	skip_without_owner_word(test);
	init_rwsem(&sem);
	first.sem = &sem;
	second.sem = &sem;

	down_read(&sem);
	rwsem_transfer_read(&sem);
	down_read(&sem);
	rwsem_transfer_read(&sem);
	expect_read_held(test, &sem, 2, NULL, true);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_SOFTIRQ,
						   claim_and_release, &first,
						   NULL), 0);
	expect_read_held(test, &sem, 1, NULL, true);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_and_release, &second,
						   NULL), 0);
	expect_free(test, &sem);
	KUNIT_EXPECT_FALSE(test, state_of(&sem).nonspinnable);

	down_read(&sem);
	expect_read_held(test, &sem, 1, current, false);
	up_read(&sem);
	expect_free(test, &sem);
}

/*
 * Counting spins.  A reader holds @sem on one CPU, a writer on another
 * calls down_write(); the rwsem_opt_* lock events say whether the writer
 * spun.  They count every rwsem in the system.  In a KUnit boot nothing
 * else contends for an rwsem in that window, and the control case shows
 * that a plain reader does make the writer spin (opt_nospin, a spin on a
 * reader that timed out), so a count of 0 means this writer did not spin.
 */
struct spin_scene {
	struct rw_semaphore *sem;
	struct completion queued;	/* the writer is about to down_write() */
	struct completion done;
	struct ktest_rwsem_spins delta;	/* what the writer's attempt counted */
};

static int spinning_writer_fn(void *arg)
{
	struct spin_scene *scene = arg;

	complete(&scene->queued);
	down_write(scene->sem);
	up_write(scene->sem);
	complete(&scene->done);
	return 0;
}

static void skip_unless_spins_countable(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_RWSEM_SPIN_ON_OWNER) ||
	    IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "no optimistic rwsem spinning in this kernel");
	if (!IS_ENABLED(CONFIG_LOCK_EVENT_COUNTS))
		kunit_skip(test, "CONFIG_LOCK_EVENT_COUNTS is off: spins not counted");
	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: a writer never spins");
}

/*
 * With @sem read held (by whatever the case arranged), let a writer on
 * another CPU try, wait until it sleeps, then call @release.
 */
static void writer_attempt(struct kunit *test, struct spin_scene *scene,
			   void (*release)(void *arg), void *arg)
{
	struct ktest_rwsem_spins before;
	struct task_struct *thread;
	int cpu;

	init_completion(&scene->queued);
	init_completion(&scene->done);
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	thread = kthread_create(spinning_writer_fn, scene, "ktest-spinner");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	kthread_bind(thread, cpu);

	ktest_rwsem_spins_sample(&before);
	wake_up_process(thread);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&scene->queued, WAIT_JIFFIES));
	KUNIT_EXPECT_TRUE(test, wait_for_waiter(scene->sem));
	ktest_rwsem_spins_since(&scene->delta, &before);
	release(arg);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&scene->done, WAIT_JIFFIES));
	kunit_info(test, "writer: opt_lock %lu, opt_fail %lu, opt_nospin %lu",
		   scene->delta.opt_lock, scene->delta.opt_fail,
		   scene->delta.opt_nospin);
}

static void let_reader_go(void *arg)
{
	complete(&((struct blocked_reader *)arg)->may_unlock);
}

/* A writer spins on a plain reader, then gives up: what the next cases compare. */
static void spin_on_plain_reader(struct kunit *test, struct rw_semaphore *sem,
				 struct spin_scene *scene)
{
	struct blocked_reader r = {};
	struct task_struct *thread;

	r.sem = sem;
	init_completion(&r.acquired);
	init_completion(&r.may_unlock);
	thread = kthread_run(blocked_reader_fn, &r, "ktest-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&r.acquired, WAIT_JIFFIES));
	scene->sem = sem;
	writer_attempt(test, scene, let_reader_go, &r);
}

/*
 * A writer that has to reschedule stops spinning before the reader-spin
 * timeout: opt_fail without opt_nospin, as if it had not spun at all.
 * Under TCG on a busy host that happens now and then (seen once in CI),
 * so the cases that need the timeout try the whole scene up to
 * SPIN_TRIES times, each on a fresh rwsem.
 */
#define SPIN_TRIES 3

static void spin_on_plain_reader_until_timeout(struct kunit *test,
					       struct rw_semaphore *sem,
					       struct spin_scene *scene)
{
	int try;

	for (try = 1; try <= SPIN_TRIES; try++) {
		init_rwsem(sem);
		spin_on_plain_reader(test, sem, scene);
		if (scene->delta.opt_nospin)
			return;
		kunit_info(test, "try %d: the writer stopped spinning before the timeout",
			   try);
	}
}

/* Control: without any transfer, a writer spins on a reader until it times out. */
static void control_writer_spins_on_a_plain_reader(struct kunit *test)
{
	struct spin_scene scene = {};
	struct rw_semaphore sem;

	skip_unless_spins_countable(test);
	spin_on_plain_reader_until_timeout(test, &sem, &scene);
	KUNIT_EXPECT_GE(test, scene.delta.opt_nospin, 1);
	expect_free(test, &sem);
}

static void release_in_hardirq(void *arg)
{
	struct completion_probe *probe = arg;

	ktest_run_in_context(KTEST_CTX_HARDIRQ, claim_and_release, probe, NULL);
}

/*
 * A transferred hold lasts as long as an I/O: a writer must not spin on it.
 * A writer that stopped early looks the same in the counters, so the word
 * itself must say non-spinnable while the hold is out.
 */
static void writer_does_not_spin_on_a_transferred_hold(struct kunit *test)
{
	struct completion_probe probe = {};
	struct spin_scene scene = {};
	struct rw_semaphore sem;

	skip_unless_spins_countable(test);
	init_rwsem(&sem);
	probe.sem = &sem;
	scene.sem = &sem;

	down_read(&sem);
	rwsem_transfer_read(&sem);
	KUNIT_EXPECT_TRUE(test, state_of(&sem).nonspinnable);
	writer_attempt(test, &scene, release_in_hardirq, &probe);
	KUNIT_EXPECT_EQ(test, scene.delta.opt_nospin, 0);
	KUNIT_EXPECT_EQ(test, scene.delta.opt_lock, 0);
	KUNIT_EXPECT_GE(test, scene.delta.opt_fail, 1);
	expect_free(test, &sem);
}

/* One transfer of a fresh @sem, released in hardirq: spinnable again. */
static void transfer_and_release(struct kunit *test, struct rw_semaphore *sem)
{
	struct completion_probe probe = { .sem = sem };

	init_rwsem(sem);
	down_read(sem);
	rwsem_transfer_read(sem);
	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	KUNIT_EXPECT_FALSE(test, state_of(sem).nonspinnable);
}

/*
 * After the last transfer is released, writers spin on readers again.
 * Each try starts with the transfer: a word left non-spinnable (v2) makes
 * every try fail, while an early exit (above) leaves the next try free.
 */
static void writer_spins_again_after_the_last_transfer(struct kunit *test)
{
	struct spin_scene scene = {};
	struct rw_semaphore sem;
	int try;

	skip_unless_spins_countable(test);
	for (try = 1; try <= SPIN_TRIES; try++) {
		transfer_and_release(test, &sem);
		spin_on_plain_reader(test, &sem, &scene);
		if (scene.delta.opt_nospin)
			break;
		kunit_info(test, "try %d: the writer stopped spinning before the timeout",
			   try);
	}
	KUNIT_EXPECT_GE(test, scene.delta.opt_nospin, 1);
	expect_free(test, &sem);
}

/*
 * Stress: readers on every CPU take @sem and transfer it at the same time,
 * so a down_read() may race with another reader's transfer; the hold is
 * released by IPI on another CPU (or by hrtimer with one CPU), and writers
 * contend throughout.  Every hold must be released exactly once and the
 * lock must end free.  The spins are counted and reported: a down_read()
 * racing a transfer may store its own owner hint without
 * RWSEM_NONSPINNABLE, and a writer may then spin for the bounded reader
 * spin time, so no spin count is asserted here; the no-spin rule itself
 * is asserted by writer_does_not_spin_on_a_transferred_hold.
 */
#define STRESS_READERS		4
#define STRESS_READS		1000	/* per reader */
#define STRESS_WRITERS		2

struct stress {
	struct rw_semaphore sem;
	atomic_t outstanding;		/* transferred, not yet released */
	atomic_t released;
	atomic_t released_elsewhere;	/* released on another CPU */
	atomic_t writes;
	atomic_t readers_done;
};

struct release_req {
	struct stress *stress;
	int cpu;			/* where the hold was transferred */
	call_single_data_t csd;
	struct ktest_call call;
	bool by_call;			/* call must be waited for */
};

struct stress_reader {
	struct stress *stress;
	struct release_req *reqs;	/* STRESS_READS of them */
};

static void stress_release(void *arg)
{
	struct release_req *req = arg;
	struct stress *stress = req->stress;

	rwsem_transfer_claim(&stress->sem);
	rwsem_transfer_release(&stress->sem);
	atomic_inc(&stress->released);
	if (raw_smp_processor_id() != req->cpu)
		atomic_inc(&stress->released_elsewhere);
	/* No wake-up from here: waitqueue locks sleep on PREEMPT_RT. */
	atomic_dec(&stress->outstanding);
}

/* Poll for the last release, for up to ten times the usual wait. */
static void wait_until_released(struct stress *stress)
{
	int ms;

	for (ms = 0; ms < 10 * WAIT_MS && atomic_read(&stress->outstanding); ms++)
		usleep_range(1000, 2000);
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
		wake_up_var(&stress->writes);
		cond_resched();
	}
	return 0;
}

static void wait_for_writes(struct stress *stress, int writes)
{
	wait_var_event_timeout(&stress->writes,
			       atomic_read(&stress->writes) >= writes,
			       WAIT_JIFFIES);
}

static int stress_reader_fn(void *arg)
{
	struct stress_reader *reader = arg;
	struct stress *stress = reader->stress;
	int i;

	for (i = 0; i < STRESS_READS; i++) {
		struct release_req *req = &reader->reqs[i];

		down_read(&stress->sem);
		atomic_inc(&stress->outstanding);
		rwsem_transfer_read(&stress->sem);
		req->stress = stress;
		start_release(req);
		if (i % 64 == 63)
			cond_resched();
	}
	atomic_inc(&stress->readers_done);
	wake_up_var(&stress->readers_done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* Thread i gets @args + i * @size: one shared argument with a @size of 0. */
static void start_threads(struct kunit *test, struct task_struct **threads,
			  int nr, int (*fn)(void *), void *args, size_t size)
{
	int i;

	for (i = 0; i < nr; i++) {
		threads[i] = kthread_run(fn, args + i * size, "ktest-stress%d", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(threads[i]));
	}
}

static void stop_threads(struct task_struct **threads, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!IS_ERR(threads[i]))
			kthread_stop(threads[i]);
}

static void racing_transfers_and_writers(struct kunit *test)
{
	struct task_struct *writers[STRESS_WRITERS], *readers[STRESS_READERS];
	struct stress_reader *reader_args;
	struct ktest_rwsem_spins before, spins;
	struct release_req *reqs;
	struct stress *stress;
	int i, nr = STRESS_READERS * STRESS_READS;

	stress = kunit_kzalloc(test, sizeof(*stress), GFP_KERNEL);
	reqs = kunit_kcalloc(test, nr, sizeof(*reqs), GFP_KERNEL);
	reader_args = kunit_kcalloc(test, STRESS_READERS, sizeof(*reader_args),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stress);
	KUNIT_ASSERT_NOT_NULL(test, reqs);
	KUNIT_ASSERT_NOT_NULL(test, reader_args);
	init_rwsem(&stress->sem);
	atomic_set(&stress->outstanding, 1);	/* ours, dropped below */
	for (i = 0; i < STRESS_READERS; i++) {
		reader_args[i].stress = stress;
		reader_args[i].reqs = &reqs[i * STRESS_READS];
	}

	ktest_rwsem_spins_sample(&before);
	start_threads(test, writers, STRESS_WRITERS, stress_writer_fn, stress, 0);
	/* The writers are running before the readers start... */
	wait_for_writes(stress, STRESS_WRITERS);
	start_threads(test, readers, STRESS_READERS, stress_reader_fn,
		      reader_args, sizeof(*reader_args));
	wait_var_event_timeout(&stress->readers_done,
			       atomic_read(&stress->readers_done) == STRESS_READERS,
			       10 * WAIT_JIFFIES);
	atomic_dec(&stress->outstanding);
	wait_until_released(stress);
	/* ...and still get the lock once all holds are back. */
	wait_for_writes(stress, atomic_read(&stress->writes) + 1);
	stop_threads(writers, STRESS_WRITERS);
	stop_threads(readers, STRESS_READERS);
	for (i = 0; i < nr; i++)
		if (reqs[i].by_call)
			ktest_call_wait(&reqs[i].call, KTEST_CALL_TIMEOUT_MS);
	ktest_rwsem_spins_since(&spins, &before);

	KUNIT_EXPECT_EQ(test, atomic_read(&stress->readers_done), STRESS_READERS);
	KUNIT_EXPECT_EQ(test, atomic_read(&stress->outstanding), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&stress->released), nr);
	KUNIT_EXPECT_GT(test, atomic_read(&stress->writes), 0);
	expect_free(test, &stress->sem);
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_EQ(test, atomic_read(&stress->released_elsewhere), nr);
	kunit_info(test, "%d CPUs, %d writes, %d transfers (%d released on another CPU); spins: opt_lock %lu, opt_fail %lu, opt_nospin %lu",
		   num_online_cpus(), atomic_read(&stress->writes), nr,
		   atomic_read(&stress->released_elsewhere), spins.opt_lock,
		   spins.opt_fail, spins.opt_nospin);
}

#ifdef CONFIG_PREEMPT_RT
/*
 * PREEMPT_RT: an exclusive holder keeps a distinct owner, the rtmutex's,
 * so a higher-priority waiter boosts it.  The transfer of a write hold
 * downgrades first: the boost must last until then and end with it.
 */
struct pi_holder {
	struct rw_semaphore *sem;
	struct completion holds;
	struct completion may_transfer;
	struct completion transferred;
	int prio_after;			/* the holder's prio after the transfer */
};

static int pi_holder_fn(void *arg)
{
	struct pi_holder *h = arg;

	down_write(h->sem);
	complete(&h->holds);
	wait_for_completion(&h->may_transfer);
	rwsem_transfer_write(h->sem);
	h->prio_after = current->prio;
	complete(&h->transferred);
	return 0;
}

static int fifo_reader_fn(void *arg)
{
	sched_set_fifo(current);
	return blocked_reader_fn(arg);
}

static bool wait_for_boost(struct task_struct *task)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		if (READ_ONCE(task->prio) < task->normal_prio)
			return true;
		usleep_range(1000, 2000);
	}
	return false;
}

static void exclusive_holder_is_boosted_until_it_transfers(struct kunit *test)
{
	struct completion_probe probe = {};
	struct task_struct *holder, *reader;
	struct blocked_reader r = {};
	struct pi_holder h = {};
	struct rw_semaphore sem;

	init_rwsem(&sem);
	probe.sem = &sem;
	h.sem = &sem;
	r.sem = &sem;
	init_completion(&h.holds);
	init_completion(&h.may_transfer);
	init_completion(&h.transferred);
	init_completion(&r.acquired);
	init_completion(&r.may_unlock);

	holder = kthread_run(pi_holder_fn, &h, "ktest-pi-holder");
	KUNIT_ASSERT_FALSE(test, IS_ERR(holder));
	get_task_struct(holder);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&h.holds, WAIT_JIFFIES));
	reader = kthread_run(fifo_reader_fn, &r, "ktest-pi-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(reader));

	KUNIT_EXPECT_TRUE(test, wait_for_boost(holder));
	KUNIT_EXPECT_PTR_EQ(test, state_of(&sem).owner, holder);
	KUNIT_EXPECT_FALSE(test, completion_done(&r.acquired));

	complete(&h.may_transfer);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&h.transferred, WAIT_JIFFIES));
	KUNIT_EXPECT_EQ(test, h.prio_after, holder->normal_prio);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&r.acquired, WAIT_JIFFIES));
	put_task_struct(holder);

	complete(&r.may_unlock);
	KUNIT_EXPECT_TRUE(test, wait_for_readers(&sem, 1));
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_and_release, &probe,
						   NULL), 0);
	expect_irq_state_kept(test, &probe, KTEST_CTX_HARDIRQ);
	expect_free(test, &sem);
}
#else
static void exclusive_holder_is_boosted_until_it_transfers(struct kunit *test)
{
	kunit_skip(test, "no priority inheritance on rwsems without PREEMPT_RT");
}
#endif

static struct kunit_case rwsem_transfer_cases[] = {
	KUNIT_CASE_PARAM(transfer_then_release_in_context, context_gen_params),
	KUNIT_CASE_PARAM(writer_gets_the_lock_when_the_transfer_is_released,
			 context_gen_params),
	KUNIT_CASE(write_hold_downgrades_and_transfers),
	KUNIT_CASE_PARAM(every_acquire_way_transfers, acquire_way_gen_params),
	KUNIT_CASE(many_transfers_released_in_mixed_contexts),
	KUNIT_CASE(late_transfer_keeps_a_writers_owner_word),
	KUNIT_CASE(last_release_makes_the_word_spinnable_again),
	KUNIT_CASE(control_writer_spins_on_a_plain_reader),
	KUNIT_CASE(writer_does_not_spin_on_a_transferred_hold),
	KUNIT_CASE(writer_spins_again_after_the_last_transfer),
	KUNIT_CASE(exclusive_holder_is_boosted_until_it_transfers),
	KUNIT_CASE_SLOW(racing_transfers_and_writers),
	{}
};

static struct kunit_suite rwsem_transfer_suite = {
	.name = "rwsem_transfer",
	.init = ktest_guard_init,
	.test_cases = rwsem_transfer_cases,
};

kunit_test_suite(rwsem_transfer_suite);

MODULE_DESCRIPTION("KUnit suite for the rwsem read hold transfer");
MODULE_LICENSE("GPL");
