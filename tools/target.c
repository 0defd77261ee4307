/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * target: resolving and vetting the program for `ptfreeze run` (see
 * target.h).  Reads the ELF header and program headers with <elf.h>
 * directly: all it needs is the class, the machine and whether there is a
 * PT_INTERP.  Never runs anything.
 */
#include "target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__i386__)
#define NATIVE_MACHINE EM_386
#else
#define NATIVE_MACHINE EM_NONE
#endif
#define NATIVE_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)
#define MAX_SCRIPT_DEPTH 4

static bool is_executable_file(const char *path, int *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		*err = errno;
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = EACCES;
		return false;
	}
	if (access(path, X_OK) != 0) {
		*err = errno;
		return false;
	}
	return true;
}

int target_resolve(const char *cmd, char *out, size_t cap)
{
	int err = ENOENT;
	if (cmd[0] == '\0') {
		return -ENOENT;
	}
	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= cap) {
			return -ENAMETOOLONG;
		}
		strcpy(out, cmd);
		return is_executable_file(cmd, &err) ? 0 : -err;
	}
	const char *path = getenv("PATH");
	if (path == NULL) {
		path = "/bin:/usr/bin";
	}
	bool denied = false;
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, ":");
		/* An empty PATH element means the current directory. */
		const char *dir = n ? p : ".";
		size_t dlen = n ? n : 1;
		if (dlen + 1 + strlen(cmd) < cap) {
			memcpy(out, dir, dlen);
			out[dlen] = '/';
			strcpy(out + dlen + 1, cmd);
			if (is_executable_file(out, &err)) {
				return 0;
			}
			denied |= err == EACCES;
		}
		p += n;
		if (*p == '\0') {
			break;
		}
	}
	return denied ? -EACCES : -ENOENT;
}

/* Reads exactly n bytes at off; false on a short read. */
static bool read_at(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = pread(fd, buf, n, off);
	return r >= 0 && (size_t)r == n;
}

static int check_elf(const char *what, int fd, const unsigned char *ident)
{
	if (ident[EI_CLASS] != NATIVE_CLASS) {
		cli_error("%s is a %d-bit program; libptfreeze.so is %d-bit and cannot be preloaded into it", what,
			  ident[EI_CLASS] == ELFCLASS32 ? 32 : 64, (int)sizeof(void *) * 8);
		return -1;
	}
	Elf64_Ehdr eh;
	if (!read_at(fd, &eh, sizeof(eh), 0)) {
		cli_error("%s: truncated ELF header", what);
		return -1;
	}
	if (NATIVE_MACHINE != EM_NONE && eh.e_machine != NATIVE_MACHINE) {
		cli_error("%s is built for another machine (ELF e_machine %u)", what, eh.e_machine);
		return -1;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		cli_error("%s is not an executable (ELF type %u)", what, eh.e_type);
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 4096) {
		cli_error("%s: no usable program headers", what);
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (!read_at(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph)))) {
			cli_error("%s: truncated program headers", what);
			return -1;
		}
		if (ph.p_type == PT_INTERP) {
			return 0;
		}
	}
	cli_error("%s is statically linked (no program interpreter): LD_PRELOAD cannot reach it, "
		  "so nothing would be recorded", what);
	return -1;
}

/* The interpreter of a "#!" line, into out; false if there is none. */
static bool script_interpreter(const char *head, size_t n, char *out, size_t cap)
{
	if (n < 3 || head[0] != '#' || head[1] != '!') {
		return false;
	}
	size_t i = 2;
	while (i < n && (head[i] == ' ' || head[i] == '\t')) {
		i++;
	}
	size_t start = i;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n') {
		i++;
	}
	if (i == start || i - start >= cap) {
		return false;
	}
	memcpy(out, head + start, i - start);
	out[i - start] = '\0';
	return true;
}

static int check(const char *cmd, const char *path, int depth)
{
	char what[2 * 4096 + 8];
	/* Name the file once: "PATH", or "CMD (PATH)" when PATH was found in $PATH or is an interpreter. */
	if (strcmp(cmd, path) == 0) {
		snprintf(what, sizeof(what), "%s", path);
	} else {
		snprintf(what, sizeof(what), "%s (%s)", cmd, path);
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		cli_error("%s: %s", what, strerror(errno));
		return -1;
	}
	/* On a nosuid mount the kernel ignores both bits: the loader honours LD_PRELOAD. */
	struct statvfs vfs;
	bool nosuid = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
	if ((st.st_mode & S_ISUID) && !nosuid) {
		cli_error("%s is set-user-ID: the dynamic loader ignores LD_PRELOAD for it, "
			  "so nothing would be recorded (run a copy without the bit)", what);
		return -1;
	}
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && !nosuid) {
		cli_error("%s is set-group-ID: the dynamic loader ignores LD_PRELOAD for it, "
			  "so nothing would be recorded (run a copy without the bit)", what);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Executable but unreadable: the kernel can run it, we cannot look. */
		return 0;
	}
	char head[256];
	ssize_t n = read(fd, head, sizeof(head));
	int r = 0;
	char interp[200];
	if (n >= (ssize_t)EI_NIDENT && memcmp(head, ELFMAG, SELFMAG) == 0) {
		r = check_elf(what, fd, (const unsigned char *)head);
	} else if (n > 0 && script_interpreter(head, (size_t)n, interp, sizeof(interp))) {
		if (depth >= MAX_SCRIPT_DEPTH) {
			cli_error("%s: too many nested #! interpreters", what);
			r = -1;
		} else if (access(interp, X_OK) != 0) {
			cli_error("%s: bad interpreter %s: %s", what, interp, strerror(errno));
			r = -1;
		} else {
			r = check(cmd, interp, depth + 1);
		}
	}
	/* Anything else execvp hands to /bin/sh, which is itself checked by use. */
	close(fd);
	return r;
}

int target_check(const char *cmd, const char *path) { return check(cmd, path, 0); }
