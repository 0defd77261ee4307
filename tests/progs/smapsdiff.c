/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smapsdiff: changes the address space after arming in three known ways,
 * for the smaps-diff record: maps a file (added), touches more pages of an
 * anonymous region it mapped with a raw syscall before arming (RSS growth
 * in a mapping no allocator owns), and unmaps a shared mapping made before
 * arming (removed).  Prints the addresses, and whether /proc/self/maps
 * names the pool.
 * usage: smapsdiff FILE   (FILE is created, 64 KiB)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ptfreeze.h"

#define PAGE 4096
#define RAW_PAGES 64

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: smapsdiff FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	static char page[PAGE];
	memset(page, 'x', sizeof(page));
	for (int i = 0; fd >= 0 && i < 16; i++) {
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page)) {
			return 99;
		}
	}
	/* Not through mmap(3): the shim would serve it from its pool. */
	char *raw = (char *)syscall(SYS_mmap, NULL, RAW_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || raw == MAP_FAILED || gone == MAP_FAILED) {
		perror("smapsdiff: setup");
		return 99;
	}
	for (int i = 0; i < 4; i++) {
		raw[i * PAGE] = 1;
	}
	gone[0] = 1;
	if (ptfreeze_arm() != 0) {
		fprintf(stderr, "smapsdiff: not under the shim\n");
		return 99;
	}

	volatile char *file = mmap(NULL, 16 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED) {
		perror("smapsdiff: mmap FILE");
		return 99;
	}
	int sum = 0;
	for (int i = 0; i < 16; i++) {
		sum += file[i * PAGE];
	}
	for (int i = 4; i < 4 + 32; i++) {
		raw[i * PAGE] = 1;
	}
	if (munmap(gone, 16 * PAGE) != 0) {
		perror("smapsdiff: munmap");
		return 99;
	}
	printf("file %p\nraw %p\ngone %p\nsum %d\n", (void *)file, (void *)raw, (void *)gone, sum);

	char line[512];
	int named = 0;
	FILE *maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps)) {
		named |= strstr(line, "[anon:ptfreeze-pool]") != NULL;
	}
	if (maps) {
		fclose(maps);
	}
	printf("pool-named %s\n", named ? "yes" : "no");
	return 0;
}
