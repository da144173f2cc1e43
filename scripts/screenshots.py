#!/usr/bin/env python3
"""Regenerates screenshots/*.png: runs the real binary in tmux, captures the pane with its colours
(`capture-pane -e -p`) and draws the cells into a PNG with a monospace font.

Usage: python3 scripts/screenshots.py            (builds the release binary first)
       BACKSTORE_BIN=path/to/backstore python3 scripts/screenshots.py
Installs what it needs (tmux, a DejaVu font, Pillow) when missing.
"""

import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SIZE = (120, 40)
FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"]


def ensure_tools():
    missing = [pkg for tool, pkg in [("tmux", "tmux")] if shutil.which(tool) is None]
    if not any(Path(d, "DejaVuSansMono.ttf").exists() for d in FONT_DIRS):
        missing.append("fonts-dejavu-core")
    if missing and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", *missing], check=True)
    try:
        import PIL  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pillow"], check=True)


def font_path(bold):
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for d in FONT_DIRS:
        if Path(d, name).exists():
            return str(Path(d, name))
    sys.exit(f"no {name} found; install fonts-dejavu-core")


# --- ANSI -> cells -----------------------------------------------------------------------------------------

BASE = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229)]
BRIGHT = [(102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
DEFAULT_FG, DEFAULT_BG = (220, 220, 220), (24, 24, 27)


def color256(n):
    if n < 8:
        return BASE[n]
    if n < 16:
        return BRIGHT[n - 8]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return (levels[n // 36], levels[n // 6 % 6], levels[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def apply_sgr(params, style):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            style.clear()
        elif c in (1, 2, 3, 4, 7):
            style[{1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "reverse"}[c]] = True
        elif c in (22, 23, 24, 27):
            for k in {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",), 27: ("reverse",)}[c]:
                style.pop(k, None)
        elif 30 <= c <= 37:
            style["fg"] = BASE[c - 30]
        elif 90 <= c <= 97:
            style["fg"] = BRIGHT[c - 90]
        elif 40 <= c <= 47:
            style["bg"] = BASE[c - 40]
        elif 100 <= c <= 107:
            style["bg"] = BRIGHT[c - 100]
        elif c == 39:
            style.pop("fg", None)
        elif c == 49:
            style.pop("bg", None)
        elif c in (38, 48) and i + 1 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                style[key] = color256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                style[key] = tuple(codes[i + 2:i + 5])
                i += 4
        i += 1


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(ansi, width, height):
    rows = []
    style = {}
    for line in ansi.split("\n")[:height]:
        cells = []
        for m in re.finditer(r"\x1b\[([0-9;]*)m|\x1b\][^\x07]*\x07|(.)", line):
            if m.group(2) is None:
                if m.group(0).startswith("\x1b["):
                    apply_sgr(m.group(1), style)
                continue
            ch = m.group(2)
            w = char_width(ch)
            if w == 0 and cells:
                cells[-1] = (cells[-1][0] + ch, cells[-1][1], cells[-1][2])
                continue
            cells.append((ch, dict(style), w))
            if w == 2:
                cells.append(("", dict(style), 0))
        cells += [(" ", {}, 1)] * (width - len(cells))
        rows.append(cells[:width])
    rows += [[(" ", {}, 1)] * width] * (height - len(rows))
    return rows


def render(rows, path):
    from PIL import Image, ImageDraw, ImageFont

    size = 16
    regular, bold = ImageFont.truetype(font_path(False), size), ImageFont.truetype(font_path(True), size)
    cw = round(regular.getlength("M"))
    ch = size + 4
    pad = 12
    img = Image.new("RGB", (len(rows[0]) * cw + 2 * pad, len(rows) * ch + 2 * pad), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (text, st, w) in enumerate(row):
            if w == 0 and text == "":
                continue
            fg, bg = st.get("fg", DEFAULT_FG), st.get("bg", DEFAULT_BG)
            if st.get("reverse"):
                fg, bg = bg, fg
            if st.get("dim"):
                fg = tuple(int(c * 0.6 + b * 0.4) for c, b in zip(fg, DEFAULT_BG))
            px, py = pad + x * cw, pad + y * ch
            span = cw * max(w, 1)
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + span - 1, py + ch - 1], fill=bg)
            if text.strip():
                box = text[0]
                if "\u2500" <= box <= "\u257f":
                    draw_box(draw, box, px, py, cw, ch, fg)
                else:
                    draw.text((px, py + 2), text, font=bold if st.get("bold") else regular, fill=fg)
            if st.get("underline"):
                draw.line([px, py + ch - 3, px + span - 1, py + ch - 3], fill=fg)
    img.save(path)


def draw_box(draw, c, x, y, w, h, fill):
    """Box-drawing characters as lines, so borders join up whatever the font's metrics."""
    cx, cy = x + w // 2, y + h // 2
    right, left, down, up = c in "─┌└├┬┴┼", c in "─┐┘┤┬┴┼", c in "│┌┐├┤┬┼", c in "│└┘├┤┴┼"
    if c not in "─│┌┐└┘├┤┬┴┼":
        draw.text((x, y + 2), c, fill=fill)
        return
    if left:
        draw.line([x, cy, cx, cy], fill=fill)
    if right:
        draw.line([cx, cy, x + w, cy], fill=fill)
    if up:
        draw.line([cx, y, cx, cy], fill=fill)
    if down:
        draw.line([cx, cy, cx, y + h], fill=fill)


# --- driving the binary in tmux -----------------------------------------------------------------------------

class Session:
    def __init__(self, command):
        self.socket = f"backstore-shots-{os.getpid()}"
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", str(SIZE[0]), "-y", str(SIZE[1]), "sh")
        time.sleep(0.3)
        self.keys("TERM=xterm-256color " + command, "Enter")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "s", *keys)

    def escape(self):
        time.sleep(0.2)
        self.keys("Escape")
        time.sleep(0.3)

    def wait(self, text, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.tmux("capture-pane", "-p", "-t", "s"):
                return
            time.sleep(0.1)
        raise SystemExit(f"timed out waiting for {text!r}:\n" + self.tmux("capture-pane", "-p", "-t", "s"))

    def shot(self, name):
        time.sleep(0.4)
        ansi = self.tmux("capture-pane", "-e", "-p", "-t", "s")
        render(parse(ansi, *SIZE), OUT / name)
        print(f"wrote screenshots/{name}")

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def modified_archive(src, dst):
    """The archive with one row added to one database: another hash, one database modified."""
    with tarfile.open(src, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as out:
        for member, data in members:
            if data is not None and member.name.endswith("emotions.csv"):
                data += b"v0.1.0,zest,positive,high,Keen enjoyment and energy\n"
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    Path(dst).write_bytes(gzip.compress(buf.getvalue(), mtime=0))


def main():
    ensure_tools()
    binary = os.environ.get("BACKSTORE_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--bin", "backstore"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "release" / "backstore")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "data")
        archive = Path(tmp, "databases.tar.gz")
        shutil.copy(ROOT / "assets" / "databases.tar.gz", archive)
        s = Session(f"{binary} --archive {archive} --data-dir {data}")
        try:
            s.wait("FRESH")
            s.wait("[Row 1/")
            s.keys("j")
            s.keys("2")
            for _ in range(6):
                s.keys("j")
            s.shot("browse.png")
            s.keys("Enter")
            s.wait("backstore get")
            s.shot("record.png")
            s.escape()
            s.keys("/")
            s.keys("eagle")
            s.wait("/eagle")
            s.wait(" substring ")
            time.sleep(0.5)
            s.shot("search.png")
            s.keys("Enter")
            s.keys("3")
            modified_archive(archive, archive)
            s.wait("STALE")
            s.wait("emotions +1 added")
            s.shot("stale-cache.png")
            s.keys("4")
            s.keys("c")
            s.wait("(built)")
            s.keys("b")
            s.wait("faster than a cold one")
            s.shot("benchmark.png")
        finally:
            s.close()


if __name__ == "__main__":
    main()
