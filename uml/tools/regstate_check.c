// SPDX-License-Identifier: GPL-2.0
/*
 * Is userspace state kept across the kernel's entries?  Runs the same on
 * the host and under UML, where each page fault and each signal moves the
 * process's FP/vector state through PTRACE_{GET,SET}REGSET NT_X86_XSTATE
 * and through UML's own signal frames.
 *
 *   fault_regs    xmm0-15, the upper ymm0-15 halves and zmm0-31 with
 *                 k0-7 (as far as cpuid and XCR0 have them) loaded in one
 *                 asm block that then touches fresh pages, each a fault
 *                 (MADV_DONTNEED refaults them), and reads them back: each
 *                 must hold what was loaded.  Several threads at once.
 *   signal_regs   the same block spinning until this thread took a signal
 *                 (SIGALRM from setitimer, SIGUSR1 from a storm thread)
 *                 whose handler loads other values into every register.
 *                 The signals are blocked outside the asm blocks, so that
 *                 a lost state cannot derail the tool's own C and glibc.
 *   fault_signal  both at once: faults while signals arrive.
 *   signal_frame  the frame of a signal taken with xmm0/ymm0/zmm0 loaded
 *                 (x86's layout): UC_FP_XSTATE, sw_reserved's magic, sizes
 *                 and components covering the state in use, FP_XSTATE_MAGIC2
 *                 after the area, and register 0 in it as loaded.
 *   small_altstack  a signal on a MINSIGSTKSZ alternate stack: a frame
 *                 larger than it (AVX-512) must be refused with SIGSEGV,
 *                 not written below the stack; a smaller one must fit.
 *   bad_mxcsr_frame  sigreturn of a frame whose MXCSR has bits no CPU
 *                 has: a SIGSEGV the process catches, as on x86.
 *   memory        a large anonymous region with a per-page pattern, then
 *                 pressure (as much again allocated and written, a forked
 *                 child that checks it, writes every page and exits): every
 *                 word must still hold its pattern.
 *
 * Output is KTAP: "# CASE: figures" lines, then "ok N CASE" or
 * "not ok N CASE # why".
 *
 * Usage: regstate_check [--list] [-t THREADS] [-s SECONDS] [-m MIB] [CASE...]
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include "tool.h"

#define PAGE		4096UL
#define NR_ZMM		32
#define NR_K		8
/* One register image: zmm0-31 (64 bytes each), then k0-7. */
#define ZMM_BYTES	(NR_ZMM * 64)
#define IMG_BYTES	(ZMM_BYTES + NR_K * 8)
#define MAX_THREADS	16
/* Pages of a fault_regs thread's region, and touched per asm block. */
#define FAULT_PAGES	4096
#define FAULT_BATCH	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum vec_level { VEC_SSE, VEC_AVX, VEC_AVX512 };

struct img {
	uint8_t b[IMG_BYTES];
};

static enum vec_level level;
static int nr_threads = 4;
static double seconds = 5;
static size_t mem_mib = 256;

/* ---- CPU features ---- */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* Prints what the CPU and XCR0 enable and sets level from it. */
static void probe_cpu(void)
{
	uint32_t r1[4], r7[4], rd[4] = { 0 };
	uint64_t xcr0 = 0;
	int osxsave, avx, avx512, amx;

	cpuid(1, 0, r1);
	cpuid(7, 0, r7);
	osxsave = !!(r1[2] & (1u << 27));
	if (osxsave) {
		xcr0 = xgetbv0();
		cpuid(0xd, 0, rd);
	}
	avx = osxsave && (r1[2] & (1u << 28)) && (xcr0 & 0x6) == 0x6;
	avx512 = avx && (r7[1] & (1u << 16)) && (xcr0 & 0xe0) == 0xe0;
	amx = (r7[3] & (1u << 24)) && (xcr0 & 0x60000) == 0x60000;
	level = avx512 ? VEC_AVX512 : avx ? VEC_AVX : VEC_SSE;
	printf("# cpu: xcr0=%#llx xsave_size=%u xsave_max=%u sse=1 avx=%d avx512=%d amx=%d\n",
	       (unsigned long long)xcr0, rd[1], rd[2], avx, avx512, amx);
}

static const char *level_name(void)
{
	return level == VEC_AVX512 ? "zmm0-31,k0-7" :
	       level == VEC_AVX ? "ymm0-15" : "xmm0-15";
}

/* ---- Register images ---- */

#define R16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
	       M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define R32(M) R16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
	       M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define R8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

#define LD_X(n) "movdqu " #n "*64(%[in]), %%xmm" #n "\n\t"
#define ST_X(n) "movdqu %%xmm" #n ", " #n "*64(%[out])\n\t"
#define LD_Y(n) "vmovdqu " #n "*64(%[in]), %%ymm" #n "\n\t"
#define ST_Y(n) "vmovdqu %%ymm" #n ", " #n "*64(%[out])\n\t"
#define LD_Z(n) "vmovdqu64 " #n "*64(%[in]), %%zmm" #n "\n\t"
#define ST_Z(n) "vmovdqu64 %%zmm" #n ", " #n "*64(%[out])\n\t"
#define LD_K(n) "kmovq 2048+" #n "*8(%[in]), %%k" #n "\n\t"
#define ST_K(n) "kmovq %%k" #n ", 2048+" #n "*8(%[out])\n\t"

#define CLOB_X(n) "xmm" #n,
#define CLOB_K(n) "k" #n,
#define CLOB16 R16(CLOB_X) "memory", "cc"
#define CLOB32 R32(CLOB_X) R8(CLOB_K) "memory", "cc"

/*
 * What one asm block does between loading the registers from %[in] and
 * storing them to %[out]:
 *   mode 0: a byte store to each of %[n] pages from %[p] on (faults);
 *   mode 1: spin until *%[p] (an int) differs from %[n], or %[spin] runs out.
 * rcx and rdx are scratch.
 */
#define BODY \
	"test %[mode], %[mode]\n\t" \
	"jnz 2f\n\t" \
	"mov %[p], %%rdx\n\t" \
	"mov %[n], %%rcx\n\t" \
	"1: movb $1, (%%rdx)\n\t" \
	"add $4096, %%rdx\n\t" \
	"dec %%rcx\n\t" \
	"jnz 1b\n\t" \
	"jmp 4f\n\t" \
	"2: mov %[spin], %%rcx\n\t" \
	"3: cmp %k[n], (%[p])\n\t" \
	"jne 4f\n\t" \
	"pause\n\t" \
	"dec %%rcx\n\t" \
	"jnz 3b\n\t" \
	"4:\n\t"

static void run_sse(const struct img *in, struct img *out, void *p,
		    unsigned long n, unsigned long mode, unsigned long spin)
{
	asm volatile(R16(LD_X) BODY R16(ST_X)
		     : : [in] "r"(in), [out] "r"(out), [p] "r"(p), [n] "r"(n),
		       [mode] "r"(mode), [spin] "r"(spin)
		     : "rcx", "rdx", CLOB16);
}

__attribute__((target("avx")))
static void run_avx(const struct img *in, struct img *out, void *p,
		    unsigned long n, unsigned long mode, unsigned long spin)
{
	asm volatile(R16(LD_Y) BODY R16(ST_Y)
		     : : [in] "r"(in), [out] "r"(out), [p] "r"(p), [n] "r"(n),
		       [mode] "r"(mode), [spin] "r"(spin)
		     : "rcx", "rdx", CLOB16);
}

__attribute__((target("avx512f,avx512bw")))
static void run_avx512(const struct img *in, struct img *out, void *p,
		       unsigned long n, unsigned long mode, unsigned long spin)
{
	asm volatile(R32(LD_Z) R8(LD_K) BODY R32(ST_Z) R8(ST_K)
		     : : [in] "r"(in), [out] "r"(out), [p] "r"(p), [n] "r"(n),
		       [mode] "r"(mode), [spin] "r"(spin)
		     : "rcx", "rdx", CLOB32);
}

/* Loads @in into every register (the signal handlers' clobber). */
static void clobber_regs(const struct img *in)
{
	static struct img sink;
	int zero = 0;

	switch (level) {
	case VEC_AVX512:
		run_avx512(in, &sink, &zero, 1, 1, 1);
		break;
	case VEC_AVX:
		run_avx(in, &sink, &zero, 1, 1, 1);
		break;
	default:
		run_sse(in, &sink, &zero, 1, 1, 1);
	}
}

static void run_block(const struct img *in, struct img *out, void *p,
		      unsigned long n, unsigned long mode, unsigned long spin)
{
	switch (level) {
	case VEC_AVX512:
		run_avx512(in, out, p, n, mode, spin);
		break;
	case VEC_AVX:
		run_avx(in, out, p, n, mode, spin);
		break;
	default:
		run_sse(in, out, p, n, mode, spin);
	}
}

/* Bytes of register @r that the level has (zmm slots of 64 bytes). */
static int reg_bytes(void)
{
	return level == VEC_AVX512 ? 64 : level == VEC_AVX ? 32 : 16;
}

static int nr_regs(void)
{
	return level == VEC_AVX512 ? NR_ZMM : 16;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x;
}

/* A distinct image for @seed; unused bytes zeroed, as the checks skip them. */
static void fill_img(struct img *img, uint64_t seed)
{
	uint64_t *w = (uint64_t *)img->b;
	size_t i;

	for (i = 0; i < IMG_BYTES / 8; i++)
		w[i] = mix(seed * 4099 + i) | 1;
	if (level != VEC_AVX512)
		memset(img->b + ZMM_BYTES, 0, NR_K * 8);
}

/* A mismatch: register name and byte, or -1 if @a and @b agree. */
struct bad {
	char reg[8];
	int byte;
	uint8_t want, got;
};

static int compare_img(const struct img *want, const struct img *got,
		       struct bad *bad)
{
	int r, i, nb = reg_bytes();
	const char *pfx = nb == 64 ? "zmm" : nb == 32 ? "ymm" : "xmm";

	for (r = 0; r < nr_regs(); r++)
		for (i = 0; i < nb; i++)
			if (want->b[r * 64 + i] != got->b[r * 64 + i])
				goto found;
	if (level != VEC_AVX512)
		return 0;
	for (r = 0; r < NR_K; r++)
		for (i = 0; i < 8; i++)
			if (want->b[ZMM_BYTES + r * 8 + i] !=
			    got->b[ZMM_BYTES + r * 8 + i]) {
				snprintf(bad->reg, sizeof(bad->reg), "k%d", r);
				bad->byte = i;
				bad->want = want->b[ZMM_BYTES + r * 8 + i];
				bad->got = got->b[ZMM_BYTES + r * 8 + i];
				return -1;
			}
	return 0;
found:
	snprintf(bad->reg, sizeof(bad->reg), "%s%d", pfx, r);
	bad->byte = i;
	bad->want = want->b[r * 64 + i];
	bad->got = got->b[r * 64 + i];
	return -1;
}

/* Parts of the state that differ, as a mask of part_names[] bits. */
static const char *const part_names[] = {
	"xmm", "ymm_hi128", "zmm_hi256", "zmm16-31", "k0-7",
};

static unsigned int bad_parts(const struct img *want, const struct img *got)
{
	unsigned int mask = 0;
	int r, i, part;

	for (r = 0; r < nr_regs(); r++)
		for (i = 0; i < reg_bytes(); i++) {
			if (want->b[r * 64 + i] == got->b[r * 64 + i])
				continue;
			part = r >= 16 ? 3 : i >= 32 ? 2 : i >= 16 ? 1 : 0;
			mask |= 1u << part;
		}
	if (level == VEC_AVX512 &&
	    memcmp(want->b + ZMM_BYTES, got->b + ZMM_BYTES, NR_K * 8))
		mask |= 1u << 4;
	return mask;
}

static void print_parts(unsigned int mask)
{
	size_t i;

	printf(" bad_parts ");
	if (!mask)
		printf("none");
	for (i = 0; i < ARRAY_SIZE(part_names); i++)
		if (mask & (1u << i))
			printf("%s%s", part_names[i],
			       mask >> (i + 1) ? "," : "");
}

/* ---- Threads, faults and signals ---- */

struct worker {
	pthread_t tid;
	int index;
	int faults, signals;		/* what this case's blocks wait for */
	uint64_t blocks, touched, waited, timeouts, mismatches;
	unsigned int parts;		/* bad_parts() of all mismatches */
	atomic_int sigs;		/* signals this thread took */
	struct bad first;
	char err[128];
};

static struct worker workers[MAX_THREADS];
static __thread struct worker *self;
static __thread struct img handler_img;
static atomic_int stop;

static void on_signal(int sig)
{
	(void)sig;
	if (!self)
		return;
	atomic_fetch_add(&self->sigs, 1);
	/* Other values in every register; sigreturn must bring back ours. */
	clobber_regs(&handler_img);
}

static sigset_t case_signals;

/*
 * The signals arrive only inside the asm blocks: the C around them (and
 * glibc's vector string functions) stays out of the test's way.
 */
static void run_block_signalled(const struct img *in, struct img *out,
				void *p, unsigned long n, unsigned long mode,
				unsigned long spin)
{
	pthread_sigmask(SIG_UNBLOCK, &case_signals, NULL);
	run_block(in, out, p, n, mode, spin);
	pthread_sigmask(SIG_BLOCK, &case_signals, NULL);
}

static void note_bad(struct worker *w, const struct bad *bad,
		     const struct img *want, const struct img *got)
{
	w->parts |= bad_parts(want, got);
	if (!w->mismatches++)
		w->first = *bad;
}

/* One block over @w's fault region from @page on; 0 when it is used up. */
static int fault_block(struct worker *w, uint8_t *region, int *page,
		       struct img *in, struct img *out)
{
	struct bad bad;

	if (*page + FAULT_BATCH > FAULT_PAGES) {
		if (madvise(region, FAULT_PAGES * PAGE, MADV_DONTNEED))
			snprintf(w->err, sizeof(w->err), "madvise: %s",
				 strerror(errno));
		*page = 0;
		return 0;
	}
	run_block_signalled(in, out, region + *page * PAGE, FAULT_BATCH, 0, 0);
	*page += FAULT_BATCH;
	w->touched += FAULT_BATCH;
	if (compare_img(in, out, &bad))
		note_bad(w, &bad, in, out);
	return 1;
}

/* One block spinning until a signal arrives (or about a second passes). */
static void signal_block(struct worker *w, struct img *in, struct img *out)
{
	int before = atomic_load(&w->sigs);
	struct bad bad;

	run_block_signalled(in, out, &w->sigs, before, 1, 200000000);
	if (atomic_load(&w->sigs) == before)
		w->timeouts++;
	else
		w->waited++;
	if (compare_img(in, out, &bad))
		note_bad(w, &bad, in, out);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct img in, out;
	uint8_t *region = NULL;
	int page = 0;

	self = w;
	fill_img(&handler_img, 0xdead0000 + w->index);
	if (w->faults) {
		region = mmap(NULL, FAULT_PAGES * PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED) {
			snprintf(w->err, sizeof(w->err), "mmap: %s",
				 strerror(errno));
			return NULL;
		}
	}
	while (!atomic_load(&stop) && !w->err[0]) {
		fill_img(&in, (uint64_t)w->index << 40 | w->blocks);
		memset(&out, 0, sizeof(out));
		if (w->faults && !fault_block(w, region, &page, &in, &out))
			continue;
		if (w->signals && !w->faults)
			signal_block(w, &in, &out);
		w->blocks++;
	}
	if (region)
		munmap(region, FAULT_PAGES * PAGE);
	return NULL;
}

/* Sends SIGUSR1 to each worker in turn until stop. */
static void *storm_main(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; !atomic_load(&stop); i++) {
		pthread_kill(workers[i % nr_threads].tid, SIGUSR1);
		if (i % nr_threads == nr_threads - 1)
			sleep_ms(0.2);
	}
	return NULL;
}

static int start_signals(void)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = 500 },
		.it_value = { .tv_usec = 500 },
	};
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGALRM, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
		return fail("sigaction: %s", strerror(errno));
	if (setitimer(ITIMER_REAL, &it, NULL))
		return fail("setitimer: %s", strerror(errno));
	return 0;
}

static void stop_signals(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Totals and the first mismatch of all workers; 0 when there was none. */
static int report_workers(const char *name, int faults, int signals)
{
	uint64_t blocks = 0, touched = 0, waited = 0, timeouts = 0, bad = 0;
	long sigs = 0;
	struct worker *first = NULL;
	unsigned int parts = 0;
	int i;

	for (i = 0; i < nr_threads; i++) {
		struct worker *w = &workers[i];

		blocks += w->blocks;
		touched += w->touched;
		waited += w->waited;
		timeouts += w->timeouts;
		sigs += atomic_load(&w->sigs);
		bad += w->mismatches;
		parts |= w->parts;
		if (w->mismatches && !first)
			first = w;
		if (w->err[0])
			return fail("thread %d: %s", i, w->err);
	}
	printf("# %s: regs %s threads %d blocks %llu faults %llu", name,
	       level_name(), nr_threads, (unsigned long long)blocks,
	       (unsigned long long)touched);
	printf(" signals %ld blocks_signalled %llu spin_timeouts %llu mismatches %llu",
	       sigs, (unsigned long long)waited, (unsigned long long)timeouts,
	       (unsigned long long)bad);
	print_parts(parts);
	printf("\n");
	/* A case whose events never happened has shown nothing. */
	if (faults && !touched)
		return fail("no page was faulted in");
	if (signals && !sigs)
		return fail("no signal arrived");
	if (signals && !faults && !waited)
		return fail("no block was interrupted by a signal");
	if (!first)
		return 0;
	return fail("%llu of %llu blocks lost state; first: thread %d %s byte %d want %#x got %#x",
		    (unsigned long long)bad, (unsigned long long)blocks,
		    first->index, first->first.reg, first->first.byte,
		    first->first.want, first->first.got);
}

static int run_workers(const char *name, int faults, int signals)
{
	pthread_t storm;
	int i, ret = 0;

	memset(workers, 0, sizeof(workers));
	atomic_store(&stop, 0);
	/* Blocked in every thread but a worker's asm block (inherited). */
	sigemptyset(&case_signals);
	sigaddset(&case_signals, SIGALRM);
	sigaddset(&case_signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &case_signals, NULL);
	if (signals && start_signals())
		return -1;
	for (i = 0; i < nr_threads; i++) {
		workers[i].index = i;
		workers[i].faults = faults;
		workers[i].signals = signals;
		if (pthread_create(&workers[i].tid, NULL, worker_main,
				   &workers[i]))
			return fail("pthread_create failed");
	}
	if (signals && pthread_create(&storm, NULL, storm_main, NULL))
		return fail("pthread_create failed");
	sleep_ms(seconds * 1e3);
	atomic_store(&stop, 1);
	for (i = 0; i < nr_threads; i++)
		pthread_join(workers[i].tid, NULL);
	if (signals) {
		pthread_join(storm, NULL);
		stop_signals();
	}
	ret = report_workers(name, faults, signals);
	return ret;
}

static int case_fault_regs(void)
{
	return run_workers("fault_regs", 1, 0);
}

static int case_signal_regs(void)
{
	return run_workers("signal_regs", 0, 1);
}

static int case_fault_signal(void)
{
	return run_workers("fault_signal", 1, 1);
}

/* ---- The signal frame ---- */

#define FX_SW_OFFSET	464	/* sw_reserved in the legacy area */
#define FX_XMM0_OFFSET	160
#define XSAVE_HDR	512
#define FP_MAGIC1	0x46505853U
#define FP_MAGIC2	0x46505845U
#define UC_XSTATE	0x1UL

/* What the SA_SIGINFO handler read from its frame. */
static struct frame_seen {
	unsigned long uc_flags;
	uint32_t magic1, extended_size, xstate_size, magic2;
	uint64_t xfeatures, xstate_bv;
	uint8_t zmm0[64];		/* xmm0, upper ymm0, upper zmm0 */
	int taken;
} seen;

/* Component @i's offset and size in the standard XSAVE format. */
static void xsave_component(int i, uint32_t *offset, uint32_t *size)
{
	uint32_t r[4];

	cpuid(0xd, i, r);
	*offset = r[1];
	*size = r[0];
}

/* Copies @len bytes of component @i of @fx into @to, if the frame has it. */
static void frame_component(const uint8_t *fx, int i, uint8_t *to, int len)
{
	uint32_t off, size;

	xsave_component(i, &off, &size);
	if (off && off + len <= seen.xstate_size)
		memcpy(to, fx + off, len);
}

static void on_frame_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const uint8_t *fx = (const uint8_t *)uc->uc_mcontext.fpregs;

	(void)sig;
	(void)si;
	seen.taken++;
	seen.uc_flags = uc->uc_flags;
	memcpy(&seen.magic1, fx + FX_SW_OFFSET, 4);
	memcpy(&seen.extended_size, fx + FX_SW_OFFSET + 4, 4);
	memcpy(&seen.xfeatures, fx + FX_SW_OFFSET + 8, 8);
	memcpy(&seen.xstate_size, fx + FX_SW_OFFSET + 16, 4);
	memcpy(seen.zmm0, fx + FX_XMM0_OFFSET, 16);
	if (seen.magic1 != FP_MAGIC1 || seen.xstate_size > (1 << 20))
		return;
	memcpy(&seen.magic2, fx + seen.xstate_size, 4);
	memcpy(&seen.xstate_bv, fx + XSAVE_HDR, 8);
	frame_component(fx, 2, seen.zmm0 + 16, 16);
	frame_component(fx, 6, seen.zmm0 + 32, 32);
}

/* Loads register 0 from @pat and sends this process @sig from the asm. */
static void signal_with_reg0(const uint8_t *pat, int sig)
{
	long nr = SYS_kill, pid = getpid();

	if (level == VEC_AVX512)
		asm volatile("vmovdqu64 (%[pat]), %%zmm0\n\tsyscall"
			     : "+a"(nr) : "D"(pid), "S"(sig), [pat] "r"(pat)
			     : "rcx", "r11", "xmm0", "memory");
	else if (level == VEC_AVX)
		asm volatile("vmovdqu (%[pat]), %%ymm0\n\tsyscall"
			     : "+a"(nr) : "D"(pid), "S"(sig), [pat] "r"(pat)
			     : "rcx", "r11", "xmm0", "memory");
	else
		asm volatile("movdqu (%[pat]), %%xmm0\n\tsyscall"
			     : "+a"(nr) : "D"(pid), "S"(sig), [pat] "r"(pat)
			     : "rcx", "r11", "xmm0", "memory");
}

/* The bytes of register 0 the level has, and the components holding them. */
static int reg0_bytes(uint64_t *components)
{
	*components = level == VEC_AVX512 ? 0xe7 : level == VEC_AVX ? 0x7 : 0x3;
	return level == VEC_AVX512 ? 64 : level == VEC_AVX ? 32 : 16;
}

/* The end of the last component in @mask, in the standard format. */
static uint32_t components_end(uint64_t mask)
{
	uint32_t end = XSAVE_HDR + 64, off, size;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		xsave_component(i, &off, &size);
		if (off + size > end)
			end = off + size;
	}
	return end;
}

static int check_xstate_frame(uint64_t used)
{
	if (!(seen.uc_flags & UC_XSTATE))
		return fail("uc_flags %#lx lacks UC_FP_XSTATE", seen.uc_flags);
	if (seen.magic1 != FP_MAGIC1)
		return fail("sw_reserved.magic1 %#x, not FP_XSTATE_MAGIC1",
			    seen.magic1);
	if (seen.extended_size != seen.xstate_size + 4)
		return fail("extended_size %u for xstate_size %u",
			    seen.extended_size, seen.xstate_size);
	if (seen.magic2 != FP_MAGIC2)
		return fail("%#x after the area, not FP_XSTATE_MAGIC2",
			    seen.magic2);
	if ((seen.xfeatures & used) != used)
		return fail("xfeatures %#llx lack %#llx in use",
			    (unsigned long long)seen.xfeatures,
			    (unsigned long long)used);
	if (seen.xstate_size < components_end(used))
		return fail("xstate_size %u, the state in use ends at %u",
			    seen.xstate_size, components_end(used));
	return 0;
}

static int case_signal_frame(void)
{
	struct sigaction sa = { .sa_sigaction = on_frame_signal,
				.sa_flags = SA_SIGINFO };
	uint8_t pat[64];
	uint64_t used;
	int i, len = reg0_bytes(&used);

	for (i = 0; i < 64; i++)
		pat[i] = 0x40 + i;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL))
		return fail("sigaction: %s", strerror(errno));
	signal_with_reg0(pat, SIGUSR2);
	if (seen.taken != 1)
		return fail("the handler ran %d times, not once", seen.taken);
	printf("# signal_frame: regs uc_flags=%#lx magic1=%#x xstate_size=%u",
	       seen.uc_flags, seen.magic1, seen.xstate_size);
	printf(" xfeatures=%#llx xstate_bv=%#llx\n",
	       (unsigned long long)seen.xfeatures,
	       (unsigned long long)seen.xstate_bv);
	if (level != VEC_SSE && check_xstate_frame(used))
		return -1;
	for (i = 0; i < len; i++)
		if (seen.zmm0[i] != pat[i])
			return fail("register 0 byte %d in the frame: want %#x got %#x",
				    i, pat[i], seen.zmm0[i]);
	return 0;
}

/* ---- Signal stacks and frames the kernel must refuse ---- */

#define ALT_GUARD	0x5a
static atomic_int alt_handled;

static void on_alt_signal(int sig)
{
	(void)sig;
	atomic_store(&alt_handled, 1);
}

/*
 * In a child: a 2048-byte (MINSIGSTKSZ) alternate stack with a known pattern below it,
 * and a signal taken on it.  Exits 0 if the handler ran and the pattern is
 * intact, 3 if the frame overran the stack; killed by SIGSEGV if the
 * kernel refused to put the frame there.
 */
static void small_altstack_child(void)
{
	size_t len = 4 * PAGE, below = 2 * PAGE, i;
	struct sigaction sa = { .sa_handler = on_alt_signal,
				.sa_flags = SA_ONSTACK };
	uint8_t *m;
	stack_t ss;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED)
		_exit(5);
	memset(m, ALT_GUARD, len);
	ss.ss_sp = m + below;
	/* The constant, not glibc's sysconf(): UML has no AT_MINSIGSTKSZ. */
	ss.ss_size = 2048;
	ss.ss_flags = 0;
	sigemptyset(&sa.sa_mask);
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR2, &sa, NULL))
		_exit(5);
	raise(SIGUSR2);
	for (i = 0; i < below; i++)
		if (m[i] != ALT_GUARD)
			_exit(3);
	_exit(atomic_load(&alt_handled) ? 0 : 4);
}

/* 0 if @status is death by SIGSEGV; why not, otherwise. */
static int killed_by_sigsegv(int status, const char *what)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		return 0;
	if (WIFSIGNALED(status))
		return fail("%s: killed by signal %d, not SIGSEGV", what,
			    WTERMSIG(status));
	return fail("%s: exit %d (3: the frame overran the stack)", what,
		    WEXITSTATUS(status));
}

/*
 * A frame larger than the alternate stack must not be written below it:
 * the kernel kills the process with SIGSEGV instead (x86 does).  Only an
 * AVX-512 frame is larger than MINSIGSTKSZ; smaller ones must fit.
 */
static int case_small_altstack(void)
{
	int status, big = level == VEC_AVX512;
	pid_t pid = fork();

	if (pid == 0)
		small_altstack_child();
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return fail("fork or waitpid: %s", strerror(errno));
	printf("# small_altstack: regs frame_larger_than_stack=%d status=%#x\n",
	       big, status);
	if (big)
		return killed_by_sigsegv(status, "a frame larger than the stack");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("a frame that fits: status %#x", status);
	return 0;
}

static void on_bad_mxcsr_segv(int sig)
{
	(void)sig;
	_exit(42);
}

/* Sets MXCSR bits no CPU has in the frame sigreturn will restore. */
static void on_set_bad_mxcsr(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	uc->uc_mcontext.fpregs->mxcsr |= 0xffff0000u;
}

/*
 * sigreturn with an MXCSR the CPU refuses: a SIGSEGV the process can
 * catch, as on x86 (exit 42 from its handler); not a kill it cannot.
 */
static int case_bad_mxcsr_frame(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction usr = { .sa_sigaction = on_set_bad_mxcsr,
					 .sa_flags = SA_SIGINFO };
		struct sigaction segv = { .sa_handler = on_bad_mxcsr_segv };

		sigemptyset(&usr.sa_mask);
		sigemptyset(&segv.sa_mask);
		if (sigaction(SIGUSR2, &usr, NULL) ||
		    sigaction(SIGSEGV, &segv, NULL))
			_exit(5);
		raise(SIGUSR2);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return fail("fork or waitpid: %s", strerror(errno));
	printf("# bad_mxcsr_frame: regs status=%#x\n", status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 42)
		return 0;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return fail("sigreturn took MXCSR 0xffff0000 bits without a fault");
	if (WIFSIGNALED(status))
		return fail("killed by signal %d: the SIGSEGV was not catchable",
			    WTERMSIG(status));
	return fail("exit %d", WEXITSTATUS(status));
}

/* ---- Memory under pressure ---- */

static uint64_t page_word(size_t page, size_t word)
{
	return mix((uint64_t)page << 12 | word) ^ 0x5a5a000000000000ULL;
}

static void fill_pages(uint64_t *mem, size_t pages)
{
	size_t p, i, words = PAGE / 8;

	for (p = 0; p < pages; p++)
		for (i = 0; i < words; i++)
			mem[p * words + i] = page_word(p, i);
}

struct mem_bad {
	size_t bad_pages, first_page, first_byte;
	uint64_t want, got;
};

static void check_pages(const uint64_t *mem, size_t pages,
			struct mem_bad *mb)
{
	size_t p, i, words = PAGE / 8;

	memset(mb, 0, sizeof(*mb));
	for (p = 0; p < pages; p++)
		for (i = 0; i < words; i++) {
			if (mem[p * words + i] == page_word(p, i))
				continue;
			if (!mb->bad_pages++) {
				mb->first_page = p;
				mb->first_byte = i * 8;
				mb->want = page_word(p, i);
				mb->got = mem[p * words + i];
			}
			break;
		}
}

/* The child: checks the region, writes every page of it and of @more. */
static int pressure_child(uint64_t *mem, size_t pages, uint8_t *more)
{
	struct mem_bad mb;
	size_t p;

	check_pages(mem, pages, &mb);
	for (p = 0; p < pages; p++) {
		__atomic_fetch_xor((uint8_t *)mem + p * PAGE + 5, 0xff,
				   __ATOMIC_RELAXED);
		more[p * PAGE + 7] = 3;
	}
	return mb.bad_pages ? 1 : 0;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int case_memory(void)
{
	size_t len = mem_mib << 20, pages = len / PAGE;
	uint64_t *mem = map_anon(len);
	uint8_t *more = map_anon(len);
	struct mem_bad mb;
	int status, child_bad;
	pid_t pid;

	if (!mem || !more)
		return fail("mmap of 2 x %zu MiB failed", mem_mib);
	fill_pages(mem, pages);
	memset(more, 0x77, len);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(pressure_child(mem, pages, more));
	/* Meanwhile the parent drops the extra memory and refaults it. */
	madvise(more, len, MADV_DONTNEED);
	memset(more, 0x33, len);
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid: %s", strerror(errno));
	child_bad = !WIFEXITED(status) || WEXITSTATUS(status);
	check_pages(mem, pages, &mb);
	printf("# memory: mib %zu pages %zu bad_pages %zu child %s\n",
	       mem_mib, pages, mb.bad_pages,
	       child_bad ? "saw bad pages or died" : "ok");
	munmap(more, len);
	munmap(mem, len);
	if (mb.bad_pages)
		return fail("%zu of %zu pages differ; first page %zu byte %zu want %#llx got %#llx",
			    mb.bad_pages, pages, mb.first_page, mb.first_byte,
			    (unsigned long long)mb.want,
			    (unsigned long long)mb.got);
	if (child_bad)
		return fail("the forked child saw bad pages (status %#x)",
			    status);
	return 0;
}

/* ---- Cases ---- */

struct rcase {
	const char *name;
	int (*fn)(void);
};

static const struct rcase cases[] = {
	{ "fault_regs", case_fault_regs },
	{ "signal_regs", case_signal_regs },
	{ "fault_signal", case_fault_signal },
	{ "signal_frame", case_signal_frame },
	{ "small_altstack", case_small_altstack },
	{ "bad_mxcsr_frame", case_bad_mxcsr_frame },
	{ "memory", case_memory },
};

#define NR_CASES ((int)ARRAY_SIZE(cases))

/* Runs case @c as KTAP case @n in a child of its own (crashes are results). */
static int run_one(const struct rcase *c, int n)
{
	double limit = seconds * 1e3 * 4 + 120e3;
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int ret;

		why[0] = 0;
		ret = c->fn();
		if (ret)
			printf("# %s: %s\nnot ok %d %s\n", c->name, why, n,
			       c->name);
		else
			printf("ok %d %s\n", n, c->name);
		fflush(stdout);
		_exit(ret ? 1 : 0);
	}
	if (pid < 0) {
		printf("# %s: fork: %s\nnot ok %d %s\n", c->name,
		       strerror(errno), n, c->name);
		return -1;
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		limit -= 10;
		if (limit < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("# %s: no result in time\nnot ok %d %s\n",
			       c->name, n, c->name);
			return -1;
		}
		sleep_ms(10);
	}
	if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d\nnot ok %d %s\n", c->name,
		       WTERMSIG(status), n, c->name);
		return -1;
	}
	return WEXITSTATUS(status) ? -1 : 0;
}

static int wanted(const struct rcase *c, char **names, int nr)
{
	int i;

	if (!nr)
		return 1;
	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], c->name))
			return 1;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "t:s:m:")) != -1) {
		switch (opt) {
		case 't':
			nr_threads = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'm':
			mem_mib = strtoul(optarg, NULL, 0);
			break;
		default:
			return -1;
		}
	}
	if (nr_threads < 1 || nr_threads > MAX_THREADS || seconds <= 0 ||
	    !mem_mib)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int i, n = 0, total = 0, failed = 0;

	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < NR_CASES; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (parse_args(argc, argv)) {
		fprintf(stderr, "usage: %s [--list] [-t THREADS] [-s SECONDS] [-m MIB] [CASE...]\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < NR_CASES; i++)
		total += wanted(&cases[i], argv + optind, argc - optind);
	printf("KTAP version 1\n1..%d\n", total);
	probe_cpu();
	for (i = 0; i < NR_CASES; i++)
		if (wanted(&cases[i], argv + optind, argc - optind))
			failed |= run_one(&cases[i], ++n) != 0;
	return failed;
}
