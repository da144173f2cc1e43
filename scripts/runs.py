#!/usr/bin/env python3
"""Times whole processes, interleaved: `runs.py N NAME=COMMAND ...` runs every command once as a warm-up,
then N rounds of each in turn, and prints per command the median wall time, the fastest, and the median
peak resident memory (from wait4). `--ratio A:B,C` adds the ratio of A's median to the larger of B's and
C's medians; `--json FILE` writes the medians (seconds, KiB) there too. Commands are split like a shell would (shlex) and run without a shell, output discarded."""

import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run(argv):
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{shlex.join(argv)} exited with {code}: {child.stderr.read().decode().strip()}")
    child.stderr.close()
    return elapsed, usage.ru_maxrss  # KiB on Linux


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return
    ratios, json_path = [], None
    while args and args[0] in ("--ratio", "--json"):
        if args[0] == "--ratio":
            ratios.append(args[1])
        else:
            json_path = args[1]
        args = args[2:]
    if not args or not args[0].isdigit() or any("=" not in spec for spec in args[1:]):
        sys.exit("usage: runs.py [--ratio A:B,C]... [--json FILE] ROUNDS NAME=COMMAND...")
    rounds = int(args[0])
    commands = [spec.split("=", 1) for spec in args[1:]]
    for _, command in commands:
        run(shlex.split(command))
    times = {name: [] for name, _ in commands}
    rss = {name: [] for name, _ in commands}
    for _ in range(rounds):
        for name, command in commands:
            t, m = run(shlex.split(command))
            times[name].append(t)
            rss[name].append(m)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, command in commands:
        print(f"  {name:<14} median {medians[name] * 1e3:9.1f} ms   fastest {min(times[name]) * 1e3:9.1f} ms"
              f"   peak RSS {statistics.median(rss[name]) / 1024:8.1f} MiB   ({rounds} runs: {command})")
    for spec in ratios:
        subject, against = spec.split(":")
        floor = max(medians[n] for n in against.split(","))
        print(f"  {subject} / max({against}) = {medians[subject] / floor:.2f}")
    if json_path:
        with open(json_path, "w") as out:
            json.dump({name: {"median_s": medians[name], "fastest_s": min(times[name]),
                              "peak_rss_kib": statistics.median(rss[name])} for name in medians}, out)


if __name__ == "__main__":
    main()
