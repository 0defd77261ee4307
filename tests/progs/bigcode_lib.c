/* SPDX-License-Identifier: BSD-2-Clause */
/* bigcode_lib: 64 functions a page apart, so calling one touches a code page nothing touched before. */
#define F(n)                                                                                           \
	__attribute__((noinline, aligned(4096))) int bigcode_##n(int x);                               \
	__attribute__((noinline, aligned(4096))) int bigcode_##n(int x) { return x * (n) + 1; }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)
