// SPDX-License-Identifier: BSD-2-Clause
// The JIT workload of tests/real/node.sh: deterministic results only (no
// time, no addresses), one line each, so two runs compare byte for byte.
// Hot loops that V8 compiles and recompiles (integer hashing, floating
// point, closures and classes, deoptimisation on a type change), a JSON
// round trip of a large object, regular expressions, typed arrays, Map and
// Set churn, sorting, big strings, BigInt, a worker thread, a child node.
'use strict';
const crypto = require('crypto');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { execFileSync } = require('child_process');

function fnv(n, seed) {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < n; i++) {
    h ^= i & 0xff;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

if (!isMainThread) {
  parentPort.postMessage(fnv(workerData.n, workerData.seed));
  return;
}
if (process.argv[2] === 'child') {
  const a = [];
  for (let i = 0; i < 200000; i++) a.push(((i * 2654435761) >>> 0) % 100003);
  a.sort((x, y) => x - y);
  console.log('child sorted', a.length, a[0], a[a.length >> 1], a[a.length - 1]);
  return;
}

const out = (...a) => console.log(...a);
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16);

out('fnv', fnv(30e6, 1).toString(16), fnv(30e6, 2).toString(16));

let acc = 0;
for (let i = 1; i <= 5e6; i++) acc += Math.sin(i) * Math.sqrt(i) / (1 + (i % 7));
out('float', acc.toFixed(6));

class Vec { constructor(x, y) { this.x = x; this.y = y; } add(o) { return new Vec(this.x + o.x, this.y + o.y); } }
let v = new Vec(0, 0);
for (let i = 0; i < 3e6; i++) v = v.add(new Vec(i % 3, (i % 5) - 2));
out('objects', v.x, v.y);

// Monomorphic, then a type change: V8 deoptimises and recompiles.
function addAll(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; }
const ints = Array.from({ length: 1e5 }, (_, i) => i);
let s1 = 0;
for (let k = 0; k < 200; k++) s1 += addAll(ints);
const mixed = ints.map((x, i) => (i % 1000 === 0 ? x + 0.5 : x));
let s2 = 0;
for (let k = 0; k < 200; k++) s2 += addAll(mixed);
out('deopt', s1, s2);

const doc = [];
for (let i = 0; i < 60000; i++) {
  doc.push({ id: i, name: 'item-' + i, tags: ['t' + (i % 7), 't' + (i % 11)], score: (i * 7919) % 1009 / 7, nested: { a: [i, i * 2, { b: String(i).repeat(3) }] } });
}
let text = JSON.stringify(doc);
for (let k = 0; k < 3; k++) text = JSON.stringify(JSON.parse(text));
out('json', text.length, sha(text));

const words = [];
for (let i = 0; i < 200000; i++) words.push('w' + ((i * 2654435761) >>> 0).toString(36) + (i % 13 === 0 ? '@example.org' : ''));
const big = words.join(' ');
const emails = big.match(/\bw[0-9a-z]+@example\.org\b/g).length;
const digits = big.replace(/[0-9]+/g, (m) => String(m.length)).length;
let rc = 0;
const re = /^w([a-z]+)([0-9]*)$/;
for (const w of words) { const m = re.exec(w); if (m) rc += m[1].length + m[2].length; }
out('regex', emails, digits, rc, sha(big.split(/\s+/).reverse().join(',')));

const f64 = new Float64Array(2e6);
for (let i = 0; i < f64.length; i++) f64[i] = ((i * 48271) % 2147483647) / 2147483647;
f64.sort();
const u8 = new Uint8Array(f64.buffer);
out('typed', f64[0].toFixed(9), f64[1e6].toFixed(9), sha(Buffer.from(u8.subarray(0, 1 << 20))));

const m = new Map();
const set = new Set();
for (let i = 0; i < 1e6; i++) {
  const k = (i * 7) % 50021;
  m.set(k, (m.get(k) || 0) + i);
  if (i % 3 === 0) set.add('k' + (i % 70001)); else set.delete('k' + ((i * 5) % 70001));
}
let ms = 0;
for (const [k, x] of m) ms = (ms + k * 31 + x) % 1000000007;
out('maps', m.size, set.size, ms);

const strs = [];
for (let i = 0; i < 300000; i++) strs.push(((i * 40503) % 65536).toString(16).padStart(4, '0') + ':' + i);
strs.sort();
out('sort', strs[0], strs[150000], strs[strs.length - 1]);

let f = 1n;
for (let i = 2n; i <= 3000n; i++) f *= i;
out('bigint', f.toString().length, sha(f.toString()));

const w = new Worker(__filename, { workerData: { n: 20e6, seed: 3 } });
w.on('message', (x) => {
  out('worker', x.toString(16), x === fnv(20e6, 3) ? 'agrees' : 'DIFFERS');
  out(execFileSync(process.execPath, [__filename, 'child'], { encoding: 'utf8' }).trim());
});
w.on('exit', (c) => out('worker exit', c));
