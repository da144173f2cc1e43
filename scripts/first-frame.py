#!/usr/bin/env python3
"""Times process start to the inspector's first frame, in a real pseudo-terminal.

Usage: first-frame.py BINARY [ARGS...]   (runs it N times, prints the median and each run in ms)
The terminal is 120x40; the frame counts as drawn when the pane title "[1] Databases" has been written
(MARKER=text waits for other text instead, e.g. MARKER=adjectives for the first frame showing data).
"""
import fcntl, os, pty, select, signal, statistics, struct, sys, termios, time

RUNS = int(os.environ.get("RUNS", "15"))
MARKER = os.environ.get("MARKER", "Databases").encode()


def once(argv):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        # A new pseudo-terminal is 0x0; give it the size of an ordinary terminal window.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    seen, elapsed = b"", None
    deadline = start + 10
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break  # the program exited and closed the terminal
            if elapsed is None and MARKER in seen:
                elapsed = time.perf_counter() - start
        if elapsed is not None:
            os.write(fd, b"q")  # again until it is read: keys typed before input is watched can be lost
    else:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    if elapsed is None:
        sys.exit(f"no frame within 10 s; the terminal showed: {seen[-300:]!r}")
    return elapsed * 1000


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    once(sys.argv[1:])  # the first run builds or warms the cache
    times = [once(sys.argv[1:]) for _ in range(RUNS)]
    print(f"first frame: median {statistics.median(times):.1f} ms over {RUNS} runs "
          f"(min {min(times):.1f}, max {max(times):.1f})")


if __name__ == "__main__":
    main()
