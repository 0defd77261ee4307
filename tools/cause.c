/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cause: the likely kernel cause of a site (see cause.h).  The mechanisms
 * are those the guide names: copy-on-write after fork (on a hugetlb pool each
 * copy needs a free huge page, and a writer finding none gets SIGBUS), NUMA
 * hinting faults (automatic NUMA balancing unmaps pages to see who uses
 * them), KSM (a write to a merged page unmerges it), khugepaged (collapsing
 * or splitting huge pages rewrites page tables under the program).
 */
#include "cause.h"

#include <string.h>

#include "render.h"

#include "kinds.h"

static const json_t *host_of(const struct rf_process *p) { return json_object_get(p->header, "host"); }

static bool hugetlb(const struct rf_process *p)
{
	const char *b = reportfile_get_str(render_pool_of(p), "backing");
	return b && strncmp(b, "hugetlb", 7) == 0;
}

/* Anonymous memory the host's memory mechanisms act on (not files, not code). */
static bool anonymous_class(const char *cls)
{
	static const char *const classes[] = {"pool", "pool-cow", "anonymous", "brk-heap", "thread-stack", "main-stack",
					      "bss"};
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(cls, classes[i]) == 0) {
			return true;
		}
	}
	return false;
}

static const char *fault_cause(const struct rf_group *g)
{
	const char *cls = g->site->cls;
	const json_t *host = host_of(g->process);
	if (cls == NULL) {
		return NULL;
	}
	if (strcmp(cls, "pool-cow") == 0) {
		return hugetlb(g->process) ? "copy-on-write after fork on a hugetlb pool: each copy takes a free huge page, "
					     "and a writer that finds none gets SIGBUS"
					   : "copy-on-write after fork: parent and child shared the page until one wrote it";
	}
	if (!anonymous_class(cls)) {
		return NULL;
	}
	if (reportfile_get_int(host, "numa_balancing", 0) > 0) {
		return "NUMA hinting fault: automatic NUMA balancing (kernel.numa_balancing) unmaps pages to see who uses them";
	}
	if (reportfile_get_int(host, "ksm_run", 0) == 1) {
		return "KSM copy-on-write: KSM merged pages alike in content, and a write unmerges them";
	}
	const char *thp = reportfile_get_str(host, "thp_enabled");
	if (strcmp(cls, "pool") == 0 && json_is_true(json_object_get(host, "khugepaged_running")) && thp &&
	    strcmp(thp, "never") != 0 && !hugetlb(g->process)) {
		return "THP collapse or split: khugepaged rewrites the page tables of huge-page regions";
	}
	return NULL;
}

const char *cause_of(const struct rf_group *g)
{
	if (g->site == NULL || g->process == NULL || g->kind == NULL) {
		return NULL;
	}
	if (strcmp(g->kind, kinds_name(KIND_PAGE_FAULT)) == 0) {
		return fault_cause(g);
	}
	if (strcmp(g->kind, kinds_name(KIND_FORK)) == 0 || strcmp(g->kind, kinds_name(KIND_VFORK)) == 0) {
		if (strcmp(g->kind, kinds_name(KIND_VFORK)) == 0) {
			return NULL; /* the child borrows the parent's memory: nothing is copied */
		}
		return hugetlb(g->process) ? "fork shares the hugetlb pool copy-on-write: the next writes fault, each "
					     "needing a free huge page (SIGBUS when none is left)"
					   : "fork shares the pool copy-on-write: the parent's next write to each page faults";
	}
	return NULL;
}
