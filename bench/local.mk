# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks (issue 5).  The programs are check programs: `make` does not
# build them, `make check` builds them for bench/smoke.sh (which proves they
# run, never how fast), and `make bench` builds them and runs bench/run,
# which compares ptfreeze with glibc, jemalloc, mimalloc and tcmalloc.
# BENCH_QUICK=1 make bench: the under-a-minute profile.
BENCH_BINS = bench/latency bench/throughput bench/prefault bench/guardcost bench/pairs bench/faultcost
check_PROGRAMS += $(BENCH_BINS)
BENCH_CFLAGS = $(AM_CFLAGS) -O2 -g
BENCH_COMMON = bench/hist.c bench/hist.h bench/util.c bench/util.h

bench_latency_SOURCES = bench/latency.c $(BENCH_COMMON)
bench_latency_CFLAGS = $(BENCH_CFLAGS)
bench_latency_LDADD = -lpthread -ldl
bench_throughput_SOURCES = bench/throughput.c $(BENCH_COMMON)
bench_throughput_CFLAGS = $(BENCH_CFLAGS)
bench_throughput_LDADD = -lpthread -ldl
bench_pairs_SOURCES = bench/pairs.c
bench_pairs_CFLAGS = $(BENCH_CFLAGS)
bench_prefault_SOURCES = bench/prefault.c $(BENCH_COMMON)
bench_prefault_CFLAGS = $(BENCH_CFLAGS)
bench_prefault_LDADD = -ldl
# Each new-site call must come from its own frames: no sibling-call folding.
bench_guardcost_SOURCES = bench/guardcost.c $(BENCH_COMMON)
bench_guardcost_CFLAGS = $(BENCH_CFLAGS) -fno-optimize-sibling-calls -fno-inline
bench_guardcost_LDADD = -ldl
# The page-fault sampler's cost (issue 13): bench/faultcost.sh runs it.
bench_faultcost_SOURCES = bench/faultcost.c $(BENCH_COMMON)
bench_faultcost_CFLAGS = $(BENCH_CFLAGS) -fno-omit-frame-pointer
bench_faultcost_LDADD = -ldl

TESTS += bench/smoke.sh
EXTRA_DIST += bench/run bench/smoke.sh bench/instructions.sh bench/faultcost.sh docs/performance.md
# The report reader at scale (issue 13): bench/report-scale.sh, with its generator.
EXTRA_DIST += bench/report-scale.sh bench/gen-report.py

bench: $(BENCH_BINS) libptfreeze.la tests/progs/spawnrss
	@test -n "$(PYTHON3)" || { echo "bench: error: python3 is needed to run bench/run (apt-get install python3)" >&2; exit 1; }
	$(PYTHON3) $(srcdir)/bench/run --builddir '$(abs_top_builddir)'
	$(PYTHON3) $(srcdir)/bench/trees.py --builddir '$(abs_top_builddir)'
.PHONY: bench

# Process trees (issue 12): unarmed short-lived processes and a wrapper chain.
bench-trees: tests/progs/spawnrss libptfreeze.la
	@test -n "$(PYTHON3)" || { echo "bench-trees: error: python3 is needed" >&2; exit 1; }
	$(PYTHON3) $(srcdir)/bench/trees.py --builddir '$(abs_top_builddir)'
.PHONY: bench-trees
EXTRA_DIST += bench/trees.py bench/pair.py

# Instructions per malloc/free pair (callgrind): repeatable where time is not.
bench-instructions: bench/pairs libptfreeze.la
	sh $(srcdir)/bench/instructions.sh '$(abs_top_builddir)'
.PHONY: bench-instructions

# What the page-fault sampler costs a program that faults (PTFREEZE_FAULTS=off vs on).
bench-faultcost: bench/faultcost libptfreeze.la
	sh $(srcdir)/bench/faultcost.sh '$(abs_top_builddir)'
.PHONY: bench-faultcost
