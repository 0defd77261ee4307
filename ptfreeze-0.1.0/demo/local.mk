# SPDX-License-Identifier: BSD-2-Clause
# The bundled demo: a toy trading loop with spike-causing habits.
noinst_PROGRAMS += demo/ptfreeze-demo
demo_ptfreeze_demo_SOURCES = demo/demo.c
demo_ptfreeze_demo_CFLAGS = $(AM_CFLAGS) -g -O2 -fno-omit-frame-pointer -Wno-missing-prototypes
demo_ptfreeze_demo_LDADD = -lpthread -ldl
