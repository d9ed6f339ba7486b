/* SPDX-License-Identifier: MIT */
/* unwind: libdwfl with our own thread callbacks; libdw's conventions stop at this file (cfi.c is pure). */
#include "memstrace/unwind.h"

#include "memstrace/cfi.h"

#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#define CACHED_PAGES 8
#define MAX_DEPTH 256

struct cached_page {
	taddr_t addr; /* page address; 0 = empty */
	uint8_t data[PAGE_SIZE_X86];
};

/* Whether .eh_frame covers a pc (see unwinds_past); cached with its frame id. */
enum eh_cover { COVER_UNKNOWN, COVER_YES, COVER_NO };

/* How the fast walk gets past a pc. */
enum step_kind {
	STEP_SLOW,  /* libdwfl must: no .eh_frame, no module, or a rule cfi.h cannot hold */
	STEP_FAST,  /* apply the compiled step */
	STEP_LAST,  /* the outermost frame: no caller, or no CFI in a module that has .eh_frame */
};

/* MEMSTRACE_UNWIND: "dwfl" walks with libdwfl only; "check" walks both ways and compares. */
enum walk_mode { WALK_FAST, WALK_DWFL, WALK_CHECK };

struct step {
	uint8_t kind; /* enum step_kind */
	struct cfi_step cfi;
};

/*
 * Pc -> frame id, CFI verdict and compiled step for this space, valid while
 * its modules do not change. The step is kept apart for the first frame,
 * whose pc is looked up as is, and the others, which are looked up at pc - 1.
 */
struct pc_slot {
	taddr_t pc;       /* 0 = empty */
	uint32_t frame;   /* 0 = not interned yet */
	uint32_t step[2]; /* [caller frame?] 1 + index in steps; 0 = not compiled */
	uint8_t cover;    /* enum eh_cover */
};

struct unwinder {
	Dwfl *dwfl;
	struct space *sp;               /* whose memory is read */
	unsigned gen;                   /* the space's modules_gen when modules were read */
	pid_t tid;                      /* the thread being unwound */
	struct user_regs_struct regs;
	struct cached_page pages[CACHED_PAGES];
	unsigned next_page;             /* round-robin victim */
	taddr_t sp_page;                /* the stack pointer's page in this capture */
	unsigned span;                  /* pages from sp_page on that the next capture reads first */
	unsigned touched;               /* pages from sp_page on that this capture used */
	struct pc_slot *pcs;            /* open addressing, a power of two */
	size_t npcs, pcs_cap;
	struct step *steps;
	size_t nsteps, steps_cap;
	enum walk_mode mode;
};

/* ---- memory and registers of the stopped thread ---- */

/* Notes how far above the stack pointer this capture reads, to size the next prefetch. */
static void note_use(struct unwinder *u, taddr_t page)
{
	if (page >= u->sp_page && page - u->sp_page < CACHED_PAGES * PAGE_SIZE_X86) {
		unsigned n = (unsigned)((page - u->sp_page) / PAGE_SIZE_X86) + 1;
		if (n > u->touched)
			u->touched = n;
	}
}

static const uint8_t *page_of(struct unwinder *u, taddr_t page)
{
	note_use(u, page);
	for (unsigned i = 0; i < CACHED_PAGES; i++) {
		if (u->pages[i].addr == page)
			return u->pages[i].data;
	}
	struct cached_page *c = &u->pages[u->next_page++ % CACHED_PAGES];
	struct iovec local = { c->data, sizeof(c->data) };
	if (space_read(u->sp, u->tid, &local, 1, page) != (ssize_t)sizeof(c->data)) {
		c->addr = 0;
		return NULL;
	}
	c->addr = page;
	return c->data;
}

/*
 * Pages are cached for one capture only: the stack changes between calls.
 * A capture starts by reading, in one call, as many pages from the stack
 * pointer up as the previous one used; a stable workload then costs one
 * read per capture instead of one per page. A short read (the top of the
 * stack) keeps what it got.
 */
static void prefetch_stack(struct unwinder *u, taddr_t sp)
{
	struct iovec local[CACHED_PAGES];

	for (unsigned i = 0; i < CACHED_PAGES; i++) {
		u->pages[i].addr = 0;
		local[i] = (struct iovec){ u->pages[i].data, PAGE_SIZE_X86 };
	}
	u->sp_page = PAGE_DOWN(sp);
	u->touched = 0;
	u->next_page = u->span;

	ssize_t got = u->sp_page ? space_read(u->sp, u->tid, local, (int)u->span, u->sp_page) : -1;
	for (unsigned i = 0; got > 0 && i < (size_t)got / PAGE_SIZE_X86; i++)
		u->pages[i].addr = u->sp_page + i * PAGE_SIZE_X86;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;
	uint8_t buf[sizeof(*result)];
	(void)dwfl;

	for (size_t done = 0; done < sizeof(buf);) {
		taddr_t a = addr + done, page = PAGE_DOWN(a);
		const uint8_t *data = page ? page_of(u, page) : NULL;
		if (!data)
			return false;
		size_t n = PAGE_SIZE_X86 - (a - page);
		if (n > sizeof(buf) - done)
			n = sizeof(buf) - done;
		memcpy(buf + done, data + (a - page), n);
		done += n;
	}
	memcpy(result, buf, sizeof(buf));
	return true;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *u = arg;
	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* In x86_64 DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
static void dwarf_regs(const struct user_regs_struct *r, uint64_t regs[CFI_NREGS])
{
	const uint64_t v[CFI_NREGS] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
	};
	memcpy(regs, v, sizeof(v));
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	Dwarf_Word regs[CFI_NREGS];
	dwarf_regs(&((struct unwinder *)arg)->regs, regs);
	return dwfl_thread_state_registers(thread, 0, CFI_NREGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/*
 * debuginfod is reached only through dwfl_standard_find_debuginfo, which
 * asks it only when the user set DEBUGINFOD_URLS.
 */
static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* ---- modules ---- */

static void forget_pcs(struct unwinder *u)
{
	memset(u->pcs, 0, u->pcs_cap * sizeof(*u->pcs));
	u->npcs = 0;
	u->nsteps = 0;
}

/* Re-reads the modules from /proc; unchanged ones keep their loaded debug info. */
static bool report_modules(struct unwinder *u, pid_t tid, unsigned gen)
{
	dwfl_report_begin(u->dwfl);
	int err = dwfl_linux_proc_report(u->dwfl, tid);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 || err != 0)
		return false;
	u->gen = gen;
	forget_pcs(u);
	return true;
}

static struct unwinder *unwinder_create(struct space *sp, pid_t tid)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));
	u->sp = sp;
	const char *how = getenv("MEMSTRACE_UNWIND");
	u->mode = !how ? WALK_FAST : strcmp(how, "dwfl") == 0 ? WALK_DWFL
		  : strcmp(how, "check") == 0 ? WALK_CHECK : WALK_FAST;
	u->span = 2;
	u->pcs_cap = 1024;
	u->pcs = xcalloc(u->pcs_cap, sizeof(*u->pcs));
	u->dwfl = dwfl_begin(&proc_callbacks);
	if (!u->dwfl || !report_modules(u, tid, sp->modules_gen) ||
	    !dwfl_attach_state(u->dwfl, NULL, tid, &thread_callbacks, u)) {
		if (u->dwfl)
			dwfl_end(u->dwfl);
		u->dwfl = NULL; /* unwinding is off for this space: call sites only */
	}
	return u;
}

void unwind_forget(struct space *sp)
{
	struct unwinder *u = sp->unwind;
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u->pcs);
	free(u->steps);
	free(u);
	sp->unwind = NULL;
}

/* ---- frames ---- */

static size_t pc_hash(taddr_t pc, size_t cap)
{
	return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static struct pc_slot *slot_in(struct pc_slot *pcs, size_t cap, taddr_t pc)
{
	size_t i = pc_hash(pc, cap);
	while (pcs[i].pc && pcs[i].pc != pc)
		i = (i + 1) & (cap - 1);
	return &pcs[i];
}

static void grow_pcs(struct unwinder *u)
{
	struct pc_slot *old = u->pcs;
	size_t n = u->pcs_cap;
	u->pcs_cap *= 2;
	u->pcs = xcalloc(u->pcs_cap, sizeof(*u->pcs));
	for (size_t i = 0; i < n; i++) {
		if (old[i].pc)
			*slot_in(u->pcs, u->pcs_cap, old[i].pc) = old[i];
	}
	free(old);
}

/* The slot of pc, added empty if new; valid until the next call. */
static struct pc_slot *pc_slot(struct unwinder *u, taddr_t pc)
{
	if ((u->npcs + 1) * 2 > u->pcs_cap)
		grow_pcs(u);
	struct pc_slot *s = slot_in(u->pcs, u->pcs_cap, pc);
	if (!s->pc) {
		s->pc = pc;
		u->npcs++;
	}
	return s;
}

/*
 * Names a new frame. A symbol counts only if its extent covers the address.
 * Source lines are not looked up in the C library and the loader: the leak
 * is never in their mmap wrapper, and their compressed line tables are the
 * costliest to load (35 ms of a 120 ms python3 start where libc6-dbg is
 * installed). Their functions are still named.
 */
static void name_frame(struct trace *tr, uint32_t id, Dwfl_Module *mod, taddr_t addr)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *function = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (function && off >= sym.st_size)
		function = NULL; /* a stripped binary: the nearest symbol is not this code */

	const char *file = NULL;
	int line = 0;
	Dwfl_Line *l = frame_is_system(frametab_get(tr->frames, id)) ? NULL
		       : dwfl_module_getsrc(mod, addr);
	if (l)
		file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
	frametab_name(tr->frames, id, function, file, line > 0 ? (unsigned)line : 0);
}

/*
 * The frame of pc. Every pc is a return address or the address after the
 * syscall instruction, so pc - 1 lies in the calling instruction's line.
 */
static uint32_t frame_of(struct trace *tr, struct unwinder *u, taddr_t pc, pid_t tid,
			 unsigned gen, bool *refreshed)
{
	uint32_t id = pc_slot(u, pc)->frame;
	if (id)
		return id;

	taddr_t addr = pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, addr);
	if (!mod && !*refreshed) {
		/* JIT code, or a library mapped since: read the modules once more. */
		*refreshed = true;
		report_modules(u, tid, gen);
		mod = dwfl_addrmodule(u->dwfl, addr);
	}

	bool fresh;
	if (!mod) {
		id = frametab_intern(tr->frames, NULL, pc, pc, &fresh);
	} else {
		Dwarf_Addr base;
		const char *name = dwfl_module_info(mod, NULL, &base, NULL, NULL, NULL, NULL, NULL);
		id = frametab_intern(tr->frames, name, pc - base, pc, &fresh);
		if (fresh)
			name_frame(tr, id, mod, addr);
	}
	pc_slot(u, pc)->frame = id;
	return id;
}

/*
 * Whether the walk may go on past pc. A module with .eh_frame that does not
 * cover pc (the loader's _start, hand-written assembly) ends the stack here:
 * libdwfl would otherwise fall back to .debug_frame, and loading that from
 * a separate debug file decompresses all its DWARF (5 ms for ld.so at every
 * program start where libc6-dbg is installed) to find nothing more. A module
 * with no .eh_frame at all keeps the fallback: .debug_frame is its only CFI.
 */
enum eh_lookup {
	EH_NONE,    /* no module, or one with no .eh_frame */
	EH_MISSING, /* the module's .eh_frame does not cover addr */
	EH_FOUND,   /* *frame is addr's, to be freed */
};

static enum eh_lookup eh_frame_at(Dwfl *dwfl, taddr_t addr, Dwarf_Frame **frame)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = mod ? dwfl_module_eh_cfi(mod, &bias) : NULL;
	if (!cfi)
		return EH_NONE;
	return dwarf_cfi_addrframe(cfi, addr - bias, frame) == 0 ? EH_FOUND : EH_MISSING;
}

static bool eh_covers(Dwfl *dwfl, taddr_t addr)
{
	Dwarf_Frame *frame;
	enum eh_lookup found = eh_frame_at(dwfl, addr, &frame);
	if (found == EH_FOUND)
		free(frame);
	return found != EH_MISSING;
}

/*
 * A return address is looked up at pc - 1, inside the call; pc itself is
 * tried too for the frames that are not return addresses (the syscall's
 * own, and one interrupted by a signal), which dwfl_frame_pc can tell only
 * by unwinding further.
 */
static bool unwinds_past(struct unwinder *u, taddr_t pc)
{
	struct pc_slot *s = pc_slot(u, pc);
	if (s->cover == COVER_UNKNOWN)
		s->cover = eh_covers(u->dwfl, pc - 1) || eh_covers(u->dwfl, pc) ? COVER_YES
									      : COVER_NO;
	return s->cover == COVER_YES;
}

/* ---- the fast walk ---- */

static bool rule_of(Dwarf_Frame *f, int reg, uint8_t *rule, int32_t *off)
{
	Dwarf_Op mem[3], *ops;
	size_t nops, i = 1;
	if (dwarf_frame_register(f, reg, mem, &ops, &nops) != 0)
		return false;
	*off = 0;
	if (nops == 0) {
		*rule = ops ? CFI_UNDEFINED : CFI_SAME;
		return true;
	}
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (i < nops && ops[i].atom == DW_OP_plus_uconst) {
		int64_t n = (int64_t)ops[i++].number;
		if (n != (int32_t)n)
			return false;
		*off = (int32_t)n;
	}
	if (i == nops)
		*rule = CFI_AT_CFA;
	else if (i + 1 == nops && ops[i].atom == DW_OP_stack_value)
		*rule = CFI_CFA_PLUS;
	else
		return false;
	return true;
}

static enum step_kind compile_frame(Dwarf_Frame *f, struct cfi_step *st)
{
	Dwarf_Op *ops;
	size_t nops;
	bool signal;
	if (dwarf_frame_info(f, NULL, NULL, &signal) != CFI_RA || signal ||
	    dwarf_frame_cfa(f, &ops, &nops) != 0 || nops != 1 || ops[0].atom != DW_OP_bregx ||
	    ops[0].number >= CFI_NREGS || (int64_t)ops[0].number2 != (int32_t)ops[0].number2)
		return STEP_SLOW;
	st->cfa_reg = (uint8_t)ops[0].number;
	st->cfa_off = (int32_t)ops[0].number2;
	for (int r = 0; r < CFI_NREGS; r++) {
		if (!rule_of(f, r, &st->rule[r], &st->off[r]))
			return STEP_SLOW;
	}
	return st->rule[CFI_RA] == CFI_UNDEFINED ? STEP_LAST : STEP_FAST;
}

static enum step_kind compile_step(Dwfl *dwfl, taddr_t addr, struct cfi_step *st)
{
	Dwarf_Frame *f;
	switch (eh_frame_at(dwfl, addr, &f)) {
	case EH_NONE:
		return STEP_SLOW;
	case EH_MISSING:
		return STEP_LAST; /* as unwinds_past: no .debug_frame fallback */
	case EH_FOUND:
		break;
	}
	enum step_kind kind = compile_frame(f, st);
	free(f);
	return kind;
}

static const struct step *step_at(struct unwinder *u, taddr_t pc, bool caller)
{
	uint32_t i = pc_slot(u, pc)->step[caller];
	if (i)
		return &u->steps[i - 1];
	if (u->nsteps == u->steps_cap) {
		u->steps_cap = u->steps_cap ? 2 * u->steps_cap : 256;
		u->steps = xrealloc(u->steps, u->steps_cap * sizeof(*u->steps));
	}
	struct step *st = &u->steps[u->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = (uint8_t)compile_step(u->dwfl, caller ? pc - 1 : pc, &st->cfi);
	pc_slot(u, pc)->step[caller] = (uint32_t)u->nsteps;
	return st;
}

static bool read_word(void *ctx, uint64_t addr, uint64_t *word)
{
	struct unwinder *u = ctx;
	return memory_read(u->dwfl, addr, word, u);
}

struct walk {
	struct unwinder *u;
	taddr_t pcs[MAX_DEPTH];
	unsigned n, max;
};

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	if (!dwfl_frame_pc(state, &pc, NULL) || pc == 0)
		return DWARF_CB_ABORT;
	w->pcs[w->n++] = pc;
	if (w->n >= w->max || !unwinds_past(w->u, pc))
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

/*
 * Walks with compiled steps only. False when a frame needs libdwfl; the
 * caller then walks again with it from the start, so a stack is never half
 * one and half the other. Both end a stack at the same places.
 */
static bool walk_fast(struct unwinder *u, struct walk *w)
{
	struct cfi_regs regs = { .known = (1u << CFI_NREGS) - 1 };
	dwarf_regs(&u->regs, regs.val);

	for (bool caller = false; regs.val[CFI_RA] != 0; caller = true) {
		taddr_t pc = regs.val[CFI_RA];
		w->pcs[w->n++] = pc;
		if (w->n >= w->max)
			return true;
		const struct step *st = step_at(u, pc, caller);
		if (st->kind == STEP_SLOW)
			return false;
		if (st->kind == STEP_LAST || !cfi_step_apply(&st->cfi, &regs, read_word, u) ||
		    !(regs.known & (1u << CFI_RA)))
			return true;
	}
	return true;
}

static void walk_dwfl(struct unwinder *u, struct walk *w)
{
	w->n = 0;
	/* -1 at the end of a stack is normal: keep what was walked. */
	dwfl_getthread_frames(u->dwfl, u->tid, on_frame, w);
}

/* MEMSTRACE_UNWIND=check: the fast walk must find what libdwfl finds. */
static void check_walk(struct unwinder *u, const struct walk *fast)
{
	struct walk w = { .u = u, .max = fast->max };
	walk_dwfl(u, &w);
	unsigned same = 0;
	while (same < w.n && same < fast->n && w.pcs[same] == fast->pcs[same])
		same++;
	if (same != w.n || same != fast->n)
		warnx_("unwind check: tid %d: fast walk has %u frames, libdwfl %u, first difference at #%u",
		       u->tid, fast->n, w.n, same);
}

static uint32_t call_site_only(struct trace *tr, taddr_t ip)
{
	bool fresh;
	uint32_t id = frametab_intern(tr->frames, NULL, ip, ip, &fresh);
	return stackdb_intern(tr->stacks, (taddr_t[]){ id }, 1);
}

uint32_t unwind_capture(struct trace *tr, struct task *t)
{
	struct space *sp = t->space;
	if (tr->depth == 0)
		return call_site_only(tr, t->call.ip);

	if (!sp->unwind)
		sp->unwind = unwinder_create(sp, t->tid);
	struct unwinder *u = sp->unwind;
	if (!u->dwfl)
		return call_site_only(tr, t->call.ip);
	if (t->regs_valid)
		u->regs = t->regs;
	else if (ptrace(PTRACE_GETREGS, t->tid, 0L, &u->regs) < 0)
		return call_site_only(tr, t->call.ip);

	bool refreshed = false;
	if (u->gen != sp->modules_gen)
		refreshed = report_modules(u, t->tid, sp->modules_gen);

	u->tid = t->tid;
	prefetch_stack(u, u->regs.rsp);

	struct walk w = { .u = u, .max = tr->depth < MAX_DEPTH ? tr->depth : MAX_DEPTH };
	bool fast = u->mode != WALK_DWFL && walk_fast(u, &w);
	if (!fast)
		walk_dwfl(u, &w);
	else if (u->mode == WALK_CHECK)
		check_walk(u, &w);
	u->span = u->touched ? u->touched : 1;
	if (w.n == 0)
		w.pcs[w.n++] = t->call.ip;

	for (unsigned i = 0; i < w.n; i++)
		w.pcs[i] = frame_of(tr, u, w.pcs[i], t->tid, sp->modules_gen, &refreshed);
	return stackdb_intern(tr->stacks, w.pcs, w.n);
}
