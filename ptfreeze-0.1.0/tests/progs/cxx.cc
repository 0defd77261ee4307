// SPDX-License-Identifier: BSD-2-Clause
// cxx: C++ allocation reaches the shim through libstdc++: new/delete,
// aligned new, sized delete, containers, exceptions (thrown objects are
// malloc'd by __cxa_allocate_exception) and a thread pool.  Refuses to run
// without the shim.  Prints a checksum that must equal the one printed
// without the preload.
#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct alignas(256) Wide {
	unsigned char b[512];
};

static uint64_t work(int seed)
{
	uint64_t sum = 0;
	std::map<std::string, std::vector<int>> m;
	for (int i = 0; i < 20000; i++) {
		std::string k = "key-" + std::to_string((i * 7919 + seed) % 5000);
		m[k].push_back(i);
		if (i % 3 == 0) {
			m.erase("key-" + std::to_string((i * 31) % 5000));
		}
	}
	for (auto &kv : m) {
		sum += kv.first.size() + kv.second.size();
	}
	for (int i = 0; i < 2000; i++) {
		try {
			throw std::runtime_error(std::string(100 + i % 50, 'x'));
		} catch (const std::exception &e) {
			sum += std::string(e.what()).size();
		}
	}
	for (int i = 0; i < 1000; i++) {
		auto w = std::make_unique<Wide>();
		if (reinterpret_cast<uintptr_t>(w.get()) % 256 != 0) {
			std::fprintf(stderr, "cxx: aligned new not aligned\n");
			std::exit(1);
		}
		w->b[i % 512] = 1;
		sum += w->b[i % 512];
	}
	return sum;
}

int main()
{
	if (dlsym(RTLD_DEFAULT, "ptfreeze_armed") == nullptr && std::getenv("CXX_ALLOW_PLAIN") == nullptr) {
		std::fprintf(stderr, "cxx: not running under libptfreeze.so\n");
		return 99;
	}
	std::atomic<uint64_t> total{0};
	std::vector<std::thread> pool;
	for (int t = 0; t < 4; t++) {
		pool.emplace_back([t, &total] { total += work(t); });
	}
	for (auto &t : pool) {
		t.join();
	}
	try {
		std::vector<int> v;
		v.reserve(static_cast<size_t>(1) << 62);
	} catch (const std::bad_alloc &) {
		total += 1;
	} catch (const std::length_error &) {
		total += 1;
	}
	std::printf("cxx: %llu\n", static_cast<unsigned long long>(total.load()));
	return 0;
}
