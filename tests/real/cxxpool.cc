// SPDX-License-Identifier: BSD-2-Clause
// cxxpool: an ordinary C++17 program for tests/real/cxxpool.sh, run with
// and without the shim.  A thread pool (std::thread, a mutex-and-condition
// task queue, std::future results) runs jobs that churn std::vector,
// std::string and std::map, allocate over-aligned objects (alignas(64) and
// 4 KiB-aligned through operator new(size_t, align_val_t)), and throw
// exceptions that cross threads through std::exception_ptr.  It knows
// nothing of ptfreeze; it prints a checksum that depends only on the work.
//   cxxpool [THREADS [JOBS [WARMUP_MS]]]
// It sleeps WARMUP_MS after its first batch (the shim arms then).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

class Pool {
public:
	explicit Pool(unsigned n)
	{
		for (unsigned i = 0; i < n; i++) {
			workers_.emplace_back([this] { run(); });
		}
	}
	~Pool()
	{
		{
			std::lock_guard<std::mutex> g(m_);
			stop_ = true;
		}
		cv_.notify_all();
		for (auto &t : workers_) {
			t.join();
		}
	}
	template <class F> auto submit(F f) -> std::future<decltype(f())>
	{
		auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
		auto fut = task->get_future();
		{
			std::lock_guard<std::mutex> g(m_);
			q_.emplace_back([task] { (*task)(); });
		}
		cv_.notify_one();
		return fut;
	}

private:
	void run()
	{
		for (;;) {
			std::function<void()> job;
			{
				std::unique_lock<std::mutex> g(m_);
				cv_.wait(g, [this] { return stop_ || !q_.empty(); });
				if (q_.empty()) {
					return;
				}
				job = std::move(q_.front());
				q_.pop_front();
			}
			job();
		}
	}
	std::vector<std::thread> workers_;
	std::deque<std::function<void()>> q_;
	std::mutex m_;
	std::condition_variable cv_;
	bool stop_ = false;
};

struct alignas(64) Line {
	uint64_t v[8];
};

struct alignas(4096) Page {
	unsigned char b[4096];
};

uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

class JobError : public std::runtime_error {
public:
	JobError(const std::string &what, uint64_t code) : std::runtime_error(what), code(code) {}
	uint64_t code;
};

// One job: deterministic in `seed`; throws for every seventh seed, after
// doing (and freeing) its allocations, so unwinding frees memory too.
uint64_t job(uint64_t seed)
{
	uint64_t h = seed;
	std::map<std::string, std::vector<uint32_t>> m;
	for (uint32_t i = 0; i < 3000; i++) {
		std::string key = "k" + std::to_string((seed * 131 + i * 7) % 997) + std::string(i % 40, 'x');
		auto &v = m[key];
		v.push_back(i);
		if (v.size() > 8) {
			v.erase(v.begin(), v.begin() + 4);
		}
		v.shrink_to_fit();
	}
	for (auto &kv : m) {
		h = mix(h, kv.first.size());
		for (auto x : kv.second) {
			h = mix(h, x);
		}
	}
	// Large and growing vectors: realloc-like growth through new/delete.
	std::vector<uint64_t> big;
	for (uint64_t i = 0; i < 200000 + seed % 1000; i++) {
		big.push_back(i * seed);
	}
	h = mix(h, big[big.size() / 3]);
	std::vector<std::string> strs(2000);
	for (size_t i = 0; i < strs.size(); i++) {
		strs[i].assign(64 + (i * seed) % 900, char('a' + i % 26));
	}
	std::string joined;
	for (auto &s : strs) {
		joined += s;
	}
	h = mix(h, joined.size());
	// Over-aligned objects: alignas(64) arrays and 4 KiB pages.
	std::vector<std::unique_ptr<Line>> lines;
	for (int i = 0; i < 500; i++) {
		lines.emplace_back(new Line{});
		if (reinterpret_cast<uintptr_t>(lines.back().get()) % 64 != 0) {
			std::fprintf(stderr, "cxxpool: a Line is not 64-byte aligned\n");
			std::abort();
		}
		lines.back()->v[i % 8] = seed + i;
		h = mix(h, lines.back()->v[i % 8]);
	}
	for (int i = 0; i < 32; i++) {
		void *p = ::operator new(sizeof(Page) * (1 + i % 4), std::align_val_t(alignof(Page)));
		if (reinterpret_cast<uintptr_t>(p) % 4096 != 0) {
			std::fprintf(stderr, "cxxpool: a Page is not 4096-byte aligned\n");
			std::abort();
		}
		std::memset(p, int(seed + i) & 0xff, sizeof(Page));
		h = mix(h, static_cast<unsigned char *>(p)[4095]);
		::operator delete(p, std::align_val_t(alignof(Page)));
	}
	auto pages = std::make_unique<Page[]>(3);
	h = mix(h, reinterpret_cast<uintptr_t>(pages.get()) % 4096);
	if (seed % 7 == 3) {
		throw JobError("job " + std::to_string(seed) + " failed on purpose" + std::string(seed % 300, '!'), h);
	}
	return h;
}

uint64_t batch(Pool &pool, uint64_t first, unsigned jobs, unsigned *thrown)
{
	std::vector<std::future<uint64_t>> futs;
	for (unsigned j = 0; j < jobs; j++) {
		futs.push_back(pool.submit([s = first + j] { return job(s); }));
	}
	uint64_t h = first;
	for (auto &f : futs) {
		try {
			h = mix(h, f.get());
		} catch (const JobError &e) {
			// Thrown on a worker, carried here by the future's exception_ptr.
			(*thrown)++;
			h = mix(h, e.code ^ std::strlen(e.what()));
		}
	}
	return h;
}

} // namespace

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? unsigned(std::atoi(argv[1])) : 4;
	unsigned jobs = argc > 2 ? unsigned(std::atoi(argv[2])) : 200;
	int warmup_ms = argc > 3 ? std::atoi(argv[3]) : 500;
	unsigned thrown = 0;
	Pool pool(threads);
	// Start-up: a first batch warms the pool's threads and the heap.
	uint64_t h = batch(pool, 1, threads * 2, &thrown);
	std::this_thread::sleep_for(std::chrono::milliseconds(warmup_ms));
	// Steady state: the pool's threads and the heap are reused.
	for (unsigned done = 0; done < jobs; done += 50) {
		h = mix(h, batch(pool, 1000 + done, 50, &thrown));
	}
	// An exception thrown in a thread the program starts after warm-up.
	std::exception_ptr ep;
	std::thread t([&ep] {
		try {
			job(3);
		} catch (...) {
			ep = std::current_exception();
		}
	});
	t.join();
	try {
		std::rethrow_exception(ep);
	} catch (const JobError &e) {
		h = mix(h, e.code);
		thrown++;
	}
	std::printf("cxxpool: %u threads, %u jobs, %u exceptions, checksum %016llx\n", threads, jobs, thrown,
		    static_cast<unsigned long long>(h));
	return 0;
}
