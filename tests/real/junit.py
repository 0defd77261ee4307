# SPDX-License-Identifier: BSD-2-Clause
"""Compares two JUnit XML files written by CPython's regrtest (--junit-xml):
the same test cases must have the same outcome (passed, skipped, failure,
error).  Prints the counts of each and the first differences; exit status 1
if any outcome differs or a file cannot be read.

Usage: junit.py REFERENCE.xml OTHER.xml"""
import collections
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    res = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        st = "passed"
        for ch in tc:
            if ch.tag in ("skipped", "failure", "error"):
                st = ch.tag
        res["%s.%s" % (tc.get("classname"), tc.get("name"))] = st
    return res


def main():
    try:
        a, b = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    except (OSError, ET.ParseError) as e:
        print("FAIL: cannot read the test results: %s" % e)
        return 1
    for name, r in (("without the shim", a), ("under the shim", b)):
        c = collections.Counter(r.values())
        print("# %s: %d test cases: %d passed, %d skipped, %d failures, %d errors" % (
            name, len(r), c["passed"], c["skipped"], c["failure"], c["error"]))
    c = collections.Counter(b.values())
    print("# figures regrtest cases=%d passed=%d skipped=%d failures=%d errors=%d" % (
        len(b), c["passed"], c["skipped"], c["failure"], c["error"]))
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    for k in diff[:20]:
        print("FAIL: %s: %s without the shim, %s under it" % (k, a.get(k, "absent"), b.get(k, "absent")))
    if not a:
        print("FAIL: no test case ran")
        return 1
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
