# SPDX-License-Identifier: BSD-2-Clause
# Hostile input and security (docs/reliability.md): every variable of the
# real table given bad values (tests/config-errors.sh walks the table that
# tests/progs/vartable prints), a set-user-ID program ignoring the
# environment, report files that no symbolic link or %e expansion can
# redirect (tests/security.sh), and `ptfreeze report` on hostile reports
# (tests/cli/hostile-report.sh).
check_PROGRAMS += tests/progs/vartable tests/progs/secure
tests_progs_vartable_SOURCES = tests/progs/vartable.c
tests_progs_vartable_LDADD = src/libptfreeze_core.la $(JE_LIBS)
# Linked to the shim, not preloaded: the loader keeps it for a set-user-ID
# copy.  -no-install: the build tree's absolute run path, which the loader
# still honours in secure-execution mode (unlike LD_LIBRARY_PATH).
tests_progs_secure_SOURCES = tests/progs/secure.c
tests_progs_secure_CFLAGS = $(PROG_CFLAGS)
tests_progs_secure_LDFLAGS = -no-install -Wl,--no-as-needed
tests_progs_secure_LDADD = libptfreeze.la -ldl
TESTS += tests/security.sh tests/secure-exec.sh tests/cli/hostile-report.sh
EXTRA_DIST += tests/security.sh tests/secure-exec.sh tests/cli/hostile-report.sh
EXTRA_DIST += docs/reliability.md
