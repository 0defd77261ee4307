# SPDX-License-Identifier: BSD-2-Clause
# The shim is built twice from the same sources: an internal convenience
# library (everything but the exported entry points) that unit tests link,
# and the preload object that exports only what libptfreeze.map lists.
SHIM_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec \
	-fno-omit-frame-pointer -fno-plt $(JEMALLOC_CFLAGS) $(UNWIND_CFLAGS)

noinst_LTLIBRARIES += src/libptfreeze_core.la
src_libptfreeze_core_la_SOURCES = \
	src/sys.c src/sys.h \
	src/real.c src/real.h \
	src/fmt.c src/fmt.h \
	src/log.c src/log.h \
	src/config.c src/config.h \
	src/pool.c src/pool.h \
	src/pmap.c src/pmap.h \
	src/arena.c src/arena.h \
	src/phase.c src/phase.h \
	src/capture.c src/capture.h \
	src/guard.c src/guard.h \
	src/report.c src/report.h \
	src/audit.c src/audit.h \
	src/backstop.c src/backstop.h \
	src/suppress.c src/suppress.h \
	src/numa.c src/numa.h \
	src/tstack.c src/tstack.h \
	src/smaps.c src/smaps.h \
	src/faults.c src/faults.h \
	src/shim.h
src_libptfreeze_core_la_CFLAGS = $(SHIM_CFLAGS)
src_libptfreeze_core_la_LIBADD = $(JEMALLOC_LIBS) -ldl -lpthread

lib_LTLIBRARIES += libptfreeze.la
libptfreeze_la_SOURCES = src/interpose.c src/interpose.h src/init.c
libptfreeze_la_CFLAGS = $(SHIM_CFLAGS)
libptfreeze_la_LIBADD = src/libptfreeze_core.la $(JEMALLOC_LIBS) -ldl -lpthread
libptfreeze_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,-z,now -Wl,--version-script=$(srcdir)/src/libptfreeze.map
EXTRA_libptfreeze_la_DEPENDENCIES = $(srcdir)/src/libptfreeze.map
EXTRA_DIST += src/libptfreeze.map src/libptfreeze.sym
