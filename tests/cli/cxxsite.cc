// SPDX-License-Identifier: BSD-2-Clause
// cxxsite: a violation from a C++ member function in a namespace, so the
// report shows a demangled name (trading::Book::rotate(int)) and
// --suppressions-out writes the mangled one the shim matches.  Arms with
// ptfreeze_arm(), maps and unmaps a shared page, prints "done".  A second
// site, an mprotect, is made by a function under a Rust v0 symbol name
// (what rustc -C symbol-mangling-version=v0 emits for the method rotate of
// an impl of example::ring::Ring), so the report must show
// <example::ring::Ring>::rotate.
#include <sys/mman.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ptfreeze.h"

namespace trading {
struct Book {
	std::vector<std::string> names;
	__attribute__((noinline)) int rotate(int pages);
};

int Book::rotate(int pages)
{
	void *p = mmap(nullptr, 4096 * (size_t)pages, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	int r = munmap(p, 4096 * (size_t)pages);
	names.push_back(r == 0 ? "rotated" : "kept"); // after the call: no tail call
	return r;
}
} // namespace trading

// The Rust v0 name of `impl Ring { fn rotate(..) }` in crate example, module ring.
extern "C" int ring_rotate(void *page) __asm__("_RNvMs_NtCs1234_7example4ringNtB4_4Ring6rotate");
extern "C" __attribute__((noinline)) int ring_rotate(void *page)
{
	int r = mprotect(page, 4096, PROT_READ);
	__asm__ volatile("" ::: "memory"); // after the call: no tail call
	return r;
}

int main()
{
	trading::Book b;
	ptfreeze_arm();
	int r = b.rotate(2);
	void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || ring_rotate(page) != 0) {
		r = -1;
	}
	std::puts(r == 0 ? "done" : "failed");
	return r == 0 ? 0 : 1;
}
