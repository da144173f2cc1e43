#!/usr/bin/env python3
"""Pack assets/databases/*.csv into assets/databases.tar.gz, the archive embedded in the binary.

The output is deterministic (sorted entries, zeroed times and owners, fixed modes, no gzip name or
timestamp) so that re-packing unchanged sources gives byte-identical output and a clean diff.
"""

import gzip
import io
import os
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "assets" / "databases"
ARCHIVE = ROOT / "assets" / "databases.tar.gz"
TOP = "databases"


def tar_info(name: str, *, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.size = 0 if directory else size
    info.mode = 0o755 if directory else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def check_csv(path: Path, data: bytes) -> None:
    """Refuse a source that could never load, so a broken archive is not written."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        sys.exit(f"error: {path.name} is not UTF-8: {err}")
    if not text.startswith("version,"):
        sys.exit(f"error: {path.name}: the header must start with 'version,'")
    if "\r" in text:
        sys.exit(f"error: {path.name}: use LF line endings, not CRLF")


def main() -> None:
    sources = sorted(p for p in SOURCE_DIR.glob("*.csv") if p.is_file())
    if not sources:
        sys.exit(f"error: no .csv files in {SOURCE_DIR.relative_to(ROOT)}")

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(tar_info(TOP + "/", directory=True))
        for path in sources:
            data = path.read_bytes()
            check_csv(path, data)
            tar.addfile(tar_info(f"{TOP}/{path.name}", size=len(data)), io.BytesIO(data))
            print(f"  {TOP + '/' + path.name:<40} {len(data):>9,} bytes")

    gz_bytes = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_bytes, compresslevel=9, mtime=0) as gz:
        gz.write(tar_bytes.getvalue())

    tmp = ARCHIVE.with_name(ARCHIVE.name + ".tmp")
    tmp.write_bytes(gz_bytes.getvalue())
    os.replace(tmp, ARCHIVE)
    print(
        f"wrote {ARCHIVE.relative_to(ROOT)}: {len(sources)} databases, "
        f"{len(tar_bytes.getvalue()):,} bytes of tar, {len(gz_bytes.getvalue()):,} bytes compressed"
    )


if __name__ == "__main__":
    main()
