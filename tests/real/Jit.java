// SPDX-License-Identifier: BSD-2-Clause
// The Java workload of tests/real/java.sh: deterministic results only, one
// line each, so two runs compare byte for byte.  Hot loops HotSpot compiles
// at every tier, collections churned through the garbage collector, string
// building and regular expressions, BigInteger, a thread pool, a child
// process through ProcessBuilder; with "throw", an uncaught exception.
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.*;
import java.util.concurrent.*;
import java.util.regex.*;
import java.util.stream.*;

public class Jit {
    static int fnv(int n, int seed) {
        int h = 0x811c9dc5 ^ seed;
        for (int i = 0; i < n; i++) {
            h ^= i & 0xff;
            h *= 16777619;
            h ^= h >>> 13;
        }
        return h;
    }

    static String sha(String s) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes("UTF-8"));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) b.append(String.format("%02x", d[i]));
        return b.toString();
    }

    static int deeper(int n) {
        if (n == 0) throw new IllegalStateException("thrown on purpose");
        return deeper(n - 1) + 1;
    }

    public static void main(String[] a) throws Exception {
        if (a.length > 0 && a[0].equals("throw")) {
            System.out.println("before");
            deeper(20);
        }
        System.out.println("fnv " + Integer.toHexString(fnv(60_000_000, 1)) + " " + Integer.toHexString(fnv(30_000_000, 2)));

        double acc = 0;
        for (int i = 1; i <= 5_000_000; i++) acc += Math.sin(i) * Math.sqrt(i) / (1 + (i % 7));
        System.out.println(String.format("float %.6f", acc));

        // Boxed maps and lists: young collections all along.
        Map<Integer, Long> m = new HashMap<>();
        TreeMap<String, Integer> t = new TreeMap<>();
        for (int i = 0; i < 2_000_000; i++) {
            int k = (i * 7) % 50021;
            m.merge(k, (long) i, Long::sum);
            if (i % 3 == 0) t.put("k" + (i % 70001), i); else t.remove("k" + ((i * 5) % 70001));
        }
        long ms = 0;
        for (Map.Entry<Integer, Long> e : m.entrySet()) ms = (ms + e.getKey() * 31L + e.getValue()) % 1_000_000_007L;
        System.out.println("maps " + m.size() + " " + t.size() + " " + ms + " " + t.firstKey() + " " + t.lastKey());

        List<String> words = new ArrayList<>();
        for (int i = 0; i < 200_000; i++)
            words.add("w" + Integer.toString((int) ((i * 2654435761L) & 0x7fffffff), 36) + (i % 13 == 0 ? "@example.org" : ""));
        String big = String.join(" ", words);
        Matcher em = Pattern.compile("\\bw[0-9a-z]+@example\\.org\\b").matcher(big);
        int emails = 0;
        while (em.find()) emails++;
        String digits = Pattern.compile("[0-9]+").matcher(big).replaceAll(r -> Integer.toString(r.group().length()));
        Collections.sort(words);
        System.out.println("regex " + emails + " " + digits.length() + " " + sha(String.join(",", words)));

        int[] arr = new int[3_000_000];
        for (int i = 0; i < arr.length; i++) arr[i] = (int) ((i * 48271L) % 2147483647L);
        Arrays.sort(arr);
        System.out.println("sort " + arr[0] + " " + arr[arr.length / 2] + " " + arr[arr.length - 1]);

        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= 3000; i++) f = f.multiply(BigInteger.valueOf(i));
        System.out.println("bigint " + f.toString().length() + " " + sha(f.toString()));

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            final int seed = k;
            fs.add(pool.submit(() -> fnv(10_000_000, seed)));
        }
        long sum = 0;
        for (Future<Integer> x : fs) sum += x.get() & 0xffffffffL;
        pool.shutdown();
        System.out.println("threads " + sum + " " + IntStream.range(0, 1_000_000).parallel().mapToLong(i -> (long) i * i % 1009).sum());

        Process p = new ProcessBuilder("sort", "-n").redirectErrorStream(true).start();
        try (java.io.Writer w = new java.io.OutputStreamWriter(p.getOutputStream())) {
            for (int i = 0; i < 1000; i++) w.write(((i * 7919) % 1009) + "\n");
        }
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).lines().limit(3).collect(Collectors.joining(","));
        System.out.println("child " + first + " status " + p.waitFor());
    }
}
