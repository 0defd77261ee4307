// SPDX-License-Identifier: BSD-2-Clause
// cxxsite: a violation from a C++ member function in a namespace, so the
// report shows a demangled name (trading::Book::rotate(int)) and
// --suppressions-out writes the mangled one the shim matches.  Arms with
// ptfreeze_arm(), maps and unmaps a shared page, prints "done".
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

int main()
{
	trading::Book b;
	ptfreeze_arm();
	int r = b.rotate(2);
	std::puts(r == 0 ? "done" : "failed");
	return r == 0 ? 0 : 1;
}
