/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faultmap: the snapshot of /proc/self/maps that faults.c classifies the
 * addresses of page faults against: taken at arming, re-read (rate-limited
 * by the caller) when an address is in no mapping of it, read by the
 * sampler thread while another may rewrite it (a sequence count: a reader
 * that sees it change answers FAULT_UNKNOWN).  Also where libunwind's code
 * is (the shim's unwinder: faults that start there are the shim's).
 * Raw system calls only; storage comes from the caller (faults.c's own
 * mapping), never from malloc.
 */
#ifndef PTFREEZE_FAULTMAP_H
#define PTFREEZE_FAULTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_class {
	FAULT_UNKNOWN,      /* in no mapping known (mapped after arming, or unmapped) */
	FAULT_POOL,         /* ptfreeze's pool (the allocator, served mmap) */
	FAULT_THREAD_STACK, /* a thread's stack (the faulting thread's, or a mapping under a guard page) */
	FAULT_MAIN_STACK,   /* [stack], including where it grows */
	FAULT_BRK_HEAP,     /* [heap]: another allocator's brk heap */
	FAULT_BSS,          /* anonymous memory right after an object's writable data: its .bss */
	FAULT_CODE,         /* an executable file mapping */
	FAULT_FILE,         /* any other file mapping (data, shared memory, mapped files) */
	FAULT_ANON,         /* other anonymous memory */
	FAULT_VDSO,         /* [vdso], [vvar], [vsyscall] and other kernel-named mappings */
	FAULT_POOL_COW,     /* the pool, in a process that forked or is a fork child: copy-on-write */
	FAULT_CLASS_COUNT
};

/* Bytes of storage the snapshot takes from carve (its first read). */
size_t faultmap_storage_bytes(void);
/*
 * Reads /proc/self/maps into the snapshot; its storage comes from carve
 * (64-byte aligned blocks) on the first call.  0, -ENOMEM (no storage),
 * -EBUSY (another thread is re-reading it) or -errno.
 */
int faultmap_read(void *(*carve)(size_t size));
/*
 * The class of addr seen from a thread whose stack pointer is sp, and the
 * mapping's file (NULL if none) for code, file and bss; FAULT_UNKNOWN if
 * no mapping of the snapshot holds it.  Never FAULT_POOL: the caller asks
 * the pool first.  Never re-reads the snapshot.
 */
enum fault_class faultmap_classify(uintptr_t addr, uintptr_t sp, const char **path);
/* True if a is in libunwind's code, per the last snapshot. */
bool faultmap_in_libunwind(uintptr_t a);
/* When the snapshot was last read (sys_now_ns), 0 if never. */
uint64_t faultmap_read_ns(void);
/* How many mappings the snapshot holds; *cut if some did not fit. */
size_t faultmap_count(bool *cut);

#endif
