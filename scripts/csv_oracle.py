"""Python's csv module as an independent reference for the whole store.

Writes random messy CSV (quoted commas, quotes, CR, LF, CRLF, lone CR, tabs, non-ASCII, U+2028, ragged rows,
empty fields and keys, a BOM, no final newline), packs each into an archive, and compares what
`backstore export --format jsonl` returns with what `csv.reader` reads, under the README's documented rules
(one BOM stripped, blank lines ignored, rows with an empty key dropped).

    python3 scripts/csv_oracle.py BACKSTORE_BINARY CASES [SEED]

Exits 1 on the first few mismatches, printing each.
"""
import csv
import gzip
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile

ALPHABET = ['a', 'b', 'Z', ',', '"', '\n', '\r', ' ', 'é', '日', '\t', 'x', '1', '2', '.', '-', "'", '\u2028']


def field(rng):
    k = rng.random()
    if k < 0.15:
        return ''
    if k < 0.2:
        return ''.join(rng.choice('0123456789') for _ in range(rng.randint(1, 6)))
    return ''.join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))


def csv_bytes(rng):
    columns = rng.randint(1, 6)
    header = ['key'] + ['c%d' % i for i in range(1, columns)]
    terminator = rng.choice(['\n', '\r\n', '\r'])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator,
                        quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer.writerow(header)
    for _ in range(rng.randint(0, 8)):
        width = max(1, columns + rng.choice([0, 0, 0, 0, -1, 1, 2]))
        writer.writerow([field(rng) for _ in range(width)])
    text = out.getvalue()
    if rng.random() < 0.5:
        text = text[:-len(terminator)]
    data = text.encode()
    if rng.random() < 0.2:
        data = b'\xef\xbb\xbf' + data
    return data


def expected(data):
    rows = [r for r in csv.reader(io.StringIO(data.decode('utf-8-sig'), newline='')) if r != []]
    header, records = rows[0], rows[1:]
    return [{'key': r[0],
             'values': {c: (r[j] if j < len(r) else None) for j, c in enumerate(header)},
             'extra': r[len(header):]}
            for r in records if r[0] != '']


def exported(binary, data, folder):
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode='w', format=tarfile.USTAR_FORMAT) as archive:
        entry = tarfile.TarInfo('databases/t.csv')
        entry.size = len(data)
        archive.addfile(entry, io.BytesIO(data))
    path = os.path.join(folder, 'a.tar.gz')
    with open(path, 'wb') as f:
        f.write(gzip.compress(tar.getvalue()))
    run = subprocess.run([binary, '--archive', path, '--data-dir', os.path.join(folder, 'data'),
                          'export', 't', '--format', 'jsonl'], capture_output=True)
    if run.returncode != 0:
        return 'exit %d: %s' % (run.returncode, run.stderr.decode(errors='replace')[:300])
    # split on '\n' only: JSON keeps U+2028 raw, which str.splitlines would split on.
    lines = [json.loads(line) for line in run.stdout.decode().split('\n') if line]
    return [{'key': r['key'], 'values': r['values'], 'extra': r['extra']} for r in lines]


def main():
    binary, cases = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    bad = 0
    for case in range(cases):
        data = csv_bytes(rng)
        folder = tempfile.mkdtemp()
        try:
            got, want = exported(binary, data, folder), expected(data)
        finally:
            shutil.rmtree(folder)
        if got != want:
            bad += 1
            print('case %d differs; CSV: %r' % (case, data))
            print('  backstore: %r' % (got,))
            print('  csv module: %r' % (want,))
            if bad >= 5:
                break
    print('%d cases, %d differ' % (case + 1, bad))
    sys.exit(1 if bad else 0)


main()
