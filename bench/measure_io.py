#!/usr/bin/env python3
"""Runs a command and reports its wall time and the bytes it and every descendant (e.g. MPI ranks)
read: Linux adds a reaped child's I/O counters (/proc/PID/io rchar: bytes passed to read/pread,
page cache or disk) to its parent's, so this process's own rchar after the wait, less before, is
the whole tree's (plus a few bytes of its own).
  bench/measure_io.py OUT.json -- COMMAND...   (Linux; the command's output goes to its own stdout)"""
import json, subprocess, sys, time


def rchar():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def main():
    out_json, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    before = rchar()
    start = time.monotonic()
    code = subprocess.call(cmd)
    wall = time.monotonic() - start
    read = rchar() - before
    json.dump({"wall_s": wall, "bytes_read": read, "exit": code}, open(out_json, "w"))
    sys.exit(code)


main()
