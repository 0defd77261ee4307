# SPDX-License-Identifier: BSD-2-Clause
# The shim is built twice from the same sources: an internal convenience
# library (everything but the exported entry points) that unit tests link,
# and the preload object that exports only what libptfreeze.map lists.
SHIM_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec \
	-fno-omit-frame-pointer -fno-plt $(JEMALLOC_CFLAGS) $(UNWIND_CFLAGS)

# The leaf modules (layer 0) the shim and the ptfreeze command share: raw
# system calls, formatting, messages, the variables, the host rules, /proc
# maps and directories, program headers, the writeback rule.  No allocator
# in it: the command links this and not the core.
noinst_LTLIBRARIES += src/libptfcommon.la
src_libptfcommon_la_SOURCES = \
	src/sys.c src/sys.h \
	src/fmt.c src/fmt.h \
	src/kinds.c src/kinds.h src/kinds.inc \
	src/log.c src/log.h \
	src/config.c src/config.h src/options.inc \
	src/audit.c src/audit.h \
	src/hostspec.c src/hostspec.h \
	src/procfs.c src/procfs.h \
	src/phdr.c src/phdr.h \
	src/writeback.c src/writeback.h
src_libptfcommon_la_CFLAGS = $(SHIM_CFLAGS)

noinst_LTLIBRARIES += src/libptfreeze_core.la
src_libptfreeze_core_la_SOURCES = \
	src/shim.c \
	src/real.c src/real.h \
	src/pool.c src/pool.h \
	src/spare.c src/spare.h \
	src/pmap.c src/pmap.h \
	src/front.c src/front.h \
	src/spans.c src/spans.h \
	src/arena.c src/arena.h \
	src/phase.c src/phase.h \
	src/capture.c src/capture.h \
	src/guard.c src/guard.h \
	src/report.c src/report.h \
	src/summary.c src/summary.h \
	src/backstop.c src/backstop.h \
	src/suppress.c src/suppress.h \
	src/numa.c src/numa.h \
	src/tstack.c src/tstack.h \
	src/smaps.c src/smaps.h \
	src/serve.c src/serve.h \
	src/faults.c src/faults.h \
	src/faultmap.c src/faultmap.h \
	src/drift.c src/drift.h \
	src/shim.h
src_libptfreeze_core_la_CFLAGS = $(SHIM_CFLAGS)
src_libptfreeze_core_la_LIBADD = src/libptfcommon.la -ldl -lpthread

lib_LTLIBRARIES += libptfreeze.la
libptfreeze_la_SOURCES = src/interpose.c src/interpose.h src/process.c src/process.h src/init.c
libptfreeze_la_CFLAGS = $(SHIM_CFLAGS)
libptfreeze_la_LIBADD = src/libptfreeze_core.la -lm -ldl -lpthread
# The archive is passed to the linker as it is (libtool would warn about
# a static library); libgcc's unwinder (jemalloc's profiler backtraces)
# is linked in too: no libgcc_s.
libptfreeze_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,-z,now -Wl,--version-script=$(srcdir)/src/libptfreeze.map \
	-Wl,$(JE_ARCHIVE),--push-state,--no-as-needed,-lm,--pop-state -XCClinker -static-libgcc
EXTRA_libptfreeze_la_DEPENDENCIES = $(srcdir)/src/libptfreeze.map $(JE_ARCHIVE)
EXTRA_DIST += src/libptfreeze.map src/libptfreeze.sym src/jemalloc.redefine

# jemalloc inside the shim: Debian's PIC archive without its C++ operators
# (jemalloc_cpp: they would need libstdc++), its public names renamed
# ptfreeze_je_* so that they never meet the program's or the shim's malloc;
# the version script keeps them local.  Whatever defines a glibc malloc
# name after the renaming fails the build.
JE_ARCHIVE = src/libptfje.a
JE_LIBS = $(JE_ARCHIVE) -lm -ldl -lpthread
CLEANFILES += $(JE_ARCHIVE)
$(JE_ARCHIVE): $(JEMALLOC_PIC_A) $(srcdir)/src/jemalloc.redefine
	$(AM_V_GEN)$(MKDIR_P) src && rm -f $@.tmp && cp $(JEMALLOC_PIC_A) $@.tmp && chmod u+w $@.tmp && \
	if $(AR) t $@.tmp | grep -qx 'jemalloc_cpp.pic.o'; then $(AR) d $@.tmp jemalloc_cpp.pic.o; fi && \
	$(OBJCOPY) --redefine-syms=$(srcdir)/src/jemalloc.redefine $@.tmp && \
	left=`$(NM) -g --defined-only $@.tmp | awk 'NF == 3 {print $$3}' | \
		grep -Ex '(__libc_)?(malloc|calloc|realloc|free|memalign|valloc|pvalloc|aligned_alloc|posix_memalign|malloc_usable_size|[a-z]*allocx|mallctl.*|_Zn.*|_Zd.*)'`; \
	if test -n "$$left"; then echo "$@: still defines $$left" >&2; rm -f $@.tmp; exit 1; fi && \
	$(RANLIB) $@.tmp && mv $@.tmp $@
