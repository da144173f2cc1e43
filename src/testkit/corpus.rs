//! Deterministic synthetic `databases.tar.gz` corpora for benchmarks, tests and the `bench` command.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};
use tar::{Builder, EntryType, Header};

/// Shape of a generated corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusSpec {
    /// Number of `databases/<name>.csv` entries.
    pub databases: usize,
    /// Data rows in total, spread unevenly over the databases.
    pub rows: usize,
    /// Fewest value columns a database gets (besides `version` and `key`).
    pub min_columns: usize,
    /// Most value columns a database gets.
    pub max_columns: usize,
    /// Every n-th row carries one long multi-line field; 0 = never.
    pub long_field_every: usize,
    /// Adds the macOS clutter real archives carry (PAX xattrs, `AppleDouble`, `.DS_Store`, ...).
    pub junk_entries: bool,
    /// Non-ASCII words in the text and numeric columns, as real tables have; off for the small and large
    /// corpora, whose bytes stay as they were so old and new figures compare.
    pub varied: bool,
    /// Seeds every random choice: same spec, same bytes.
    pub seed: u64,
}

impl CorpusSpec {
    /// ~12,500 rows over 19 databases, 2-4 value columns, ~47 bytes a row, macOS junk entries:
    /// the shape of the reference corpus (~640 KB tar, ~165 KB gzipped).
    pub fn small() -> Self {
        Self {
            databases: 19,
            rows: 12_500,
            min_columns: 2,
            max_columns: 4,
            long_field_every: 0,
            junk_entries: true,
            varied: false,
            seed: 0x5EED_0001,
        }
    }

    /// 1,000,000 rows over 4 databases, 4-6 value columns, ~73 MB uncompressed, some long quoted fields.
    pub fn large() -> Self {
        Self {
            databases: 4,
            rows: 1_000_000,
            min_columns: 4,
            max_columns: 6,
            long_field_every: 50,
            junk_entries: false,
            varied: false,
            seed: 0x5EED_0002,
        }
    }

    /// 10,000,000 rows over 10 databases of 2-8 value columns (text, categories and numbers), long quoted
    /// multi-line fields and non-ASCII text: ~0.7 GB of CSV, for measuring how cost grows with size.
    pub fn huge() -> Self {
        Self {
            databases: 10,
            rows: 10_000_000,
            min_columns: 2,
            max_columns: 8,
            long_field_every: 50,
            junk_entries: false,
            varied: true,
            seed: 0x5EED_0003,
        }
    }
}

/// Builds the gzipped tar bytes for the spec; same spec -> byte-identical output.
pub fn generate(spec: &CorpusSpec) -> Vec<u8> {
    build(spec, Vec::new()).expect("writing to memory cannot fail")
}

/// Writes the same bytes as [`generate`] to `path` (creating parent folders), streaming them: only the
/// table being written is held in memory.
pub fn write(spec: &CorpusSpec, path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file = io::BufWriter::new(std::fs::File::create(path)?);
    build(spec, file)?.flush()
}

const TOPICS: [&str; 20] = [
    "words", "cities", "species", "minerals", "recipes", "stars", "rivers", "tools", "spells",
    "ships", "colors", "proverbs", "songs", "planets", "herbs", "dances", "glyphs", "tides",
    "lanterns", "fables",
];

/// Value columns in the order tables take them: narrow tables are mostly text,
/// wider ones add short categorical columns, as real tables tend to.
const COLUMNS: [(&str, Kind); 12] = [
    ("name", Kind::Text(1, 1)),
    ("description", Kind::Text(2, 4)),
    ("note", Kind::Text(1, 3)),
    ("category", Kind::Category),
    ("status", Kind::Category),
    ("region", Kind::Category),
    ("summary", Kind::Text(2, 5)),
    ("owner", Kind::Category),
    ("label", Kind::Text(1, 2)),
    ("kind", Kind::Category),
    ("alias", Kind::Text(1, 2)),
    ("origin", Kind::Category),
];

#[derive(Clone, Copy)]
enum Kind {
    /// One of a dozen words.
    Category,
    /// Pseudo-text of `lo..=hi` words.
    Text(usize, usize),
    /// An integer or a decimal, now and then negative or empty.
    Number,
}

/// Syllables that give the varied corpora's words non-ASCII letters: accents, CJK, Greek, emoji.
const FOREIGN: [&str; 8] = ["é", "ü", "ñ", "ø", "東京", "ß", "Ωμ", "🌊"];

const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ra", "ven", "to", "su", "del", "an", "ri", "mor", "el", "ta", "no", "bel",
    "is", "qu", "ar", "fen", "go", "li", "sa", "tor", "un", "ze", "pa", "dri", "os", "ve", "ni",
    "ha", "col",
];

/// Distinct-ish words the text draws from; small enough to repeat like real prose.
const VOCABULARY: usize = 64;

/// Distinct values of a categorical column.
const CATEGORIES: usize = 12;

/// `0081;00000000;Safari;` base64-encoded, as libarchive stores xattr values.
const QUARANTINE: &[u8] = b"MDA4MTswMDAwMDAwMDtTYWZhcmk7";

fn build<W: Write>(spec: &CorpusSpec, sink: W) -> io::Result<W> {
    // Junk entries draw nothing from the generator, so they never change the CSV text.
    let mut text = Text::new(Rng(spec.seed), spec.varied);
    let tables = layout(spec);
    // mtime 0 and no file name keep the gzip header reproducible; default level is 6.
    let gz = GzBuilder::new()
        .mtime(0)
        .write(sink, Compression::default());
    let mut tar = Builder::new(gz);
    if spec.junk_entries {
        tar.append_data(
            &mut header(EntryType::Directory, 0o755, 0),
            "databases/",
            io::empty(),
        )?;
        append_file(&mut tar, "databases/.DS_Store", &ds_store())?;
        append_file(&mut tar, "databases/.gitignore", b".DS_Store\n._*\n")?;
        append_file(&mut tar, "databases/date.txt", b"2024-01-01\n")?;
    }
    let mut csv = Vec::new();
    for (i, (rows, columns)) in tables.into_iter().enumerate() {
        let name = format!("db{i:02}_{}", TOPICS[i % TOPICS.len()]);
        if spec.junk_entries {
            append_file(
                &mut tar,
                &format!("databases/._{name}.csv"),
                &apple_double(),
            )?;
            // Only some files carry the quarantine xattr, as in downloaded-then-edited folders.
            if i % 2 == 0 {
                tar.append_pax_extensions([("LIBARCHIVE.xattr.com.apple.quarantine", QUARANTINE)])?;
            }
        }
        csv.clear();
        let shape = Shape {
            rows,
            columns,
            long_field_every: spec.long_field_every,
            numbers: spec.varied && i % 2 == 1,
        };
        csv = write_table(&mut text, &shape, csv)?;
        append_file(&mut tar, &format!("databases/{name}.csv"), &csv)?;
    }
    tar.into_inner()?.finish()
}

/// Rows and value columns per table. Sizes follow a fixed zigzag of weights (1 to 121: a few
/// big tables, a tail of small ones) so totals do not drift with the seed; widths follow the
/// same zigzag, which for three widths gives the biggest table the middle one.
fn layout(spec: &CorpusSpec) -> Vec<(usize, usize)> {
    let zigzag: Vec<usize> = (0..spec.databases).map(|i| i * 5 % 11).collect();
    let total: usize = zigzag.iter().map(|k| (k + 1).pow(2)).sum();
    let span = spec.max_columns.saturating_sub(spec.min_columns) + 1;
    let mut tables: Vec<(usize, usize)> = zigzag
        .iter()
        .map(|k| {
            (
                spec.rows * (k + 1).pow(2) / total,
                spec.min_columns + k % span,
            )
        })
        .collect();
    // Flooring loses less than one row per table, so the rest fits one each.
    let rest = spec.rows - tables.iter().map(|t| t.0).sum::<usize>();
    tables.iter_mut().take(rest).for_each(|t| t.0 += 1);
    tables
}

/// What one table holds.
struct Shape {
    rows: usize,
    /// Value columns, besides `version` and `key`.
    columns: usize,
    long_field_every: usize,
    /// Every third value column holds numbers instead of what [`COLUMNS`] says.
    numbers: bool,
}

fn write_table(text: &mut Text, shape: &Shape, out: Vec<u8>) -> io::Result<Vec<u8>> {
    let Shape {
        rows,
        columns,
        long_field_every,
        numbers,
    } = *shape;
    let kinds: Vec<Kind> = (0..columns)
        .map(|j| match COLUMNS[j % COLUMNS.len()].1 {
            _ if numbers && j % 3 == 2 => Kind::Number,
            kind => kind,
        })
        .collect();
    let mut csv = csv::Writer::from_writer(out);
    csv.write_field("version")?;
    csv.write_field("key")?;
    for (j, kind) in kinds.iter().enumerate() {
        let name = match kind {
            Kind::Number => ["price", "count", "weight"][j / 3 % 3],
            _ => COLUMNS[j % COLUMNS.len()].0,
        };
        match j / COLUMNS.len() {
            0 => csv.write_field(name)?,
            lap => csv.write_field(format!("{name}{lap}"))?,
        }
    }
    csv.write_record(None::<&[u8]>)?;

    // One reused buffer: no allocation per field.
    let mut field = String::new();
    for row in 0..rows {
        csv.write_field("v0.1.0")?;
        field.clear();
        text.key(&mut field, row);
        csv.write_field(&field)?;
        let long = long_field_every > 0 && columns > 0 && (row + 1) % long_field_every == 0;
        let long_column = if long {
            text.rng.below(columns)
        } else {
            usize::MAX
        };
        for (j, &kind) in kinds.iter().enumerate() {
            field.clear();
            if j == long_column {
                text.long(&mut field);
            } else {
                text.value(&mut field, kind);
            }
            csv.write_field(&field)?;
        }
        csv.write_record(None::<&[u8]>)?;
    }
    csv.into_inner().map_err(csv::IntoInnerError::into_error)
}

/// Seeded pseudo-text from a fixed vocabulary drawn with a Zipf-like skew,
/// so the CSV compresses about as well as real tables do.
struct Text {
    rng: Rng,
    vocab: Vec<String>,
}

impl Text {
    fn new(mut rng: Rng, varied: bool) -> Self {
        let vocab = (0..VOCABULARY)
            .map(|i| {
                // Lengths cycle with the rank, so the common words (and sizes) do not hinge on the seed.
                let mut word = String::new();
                for _ in 0..=(i % 3) {
                    word.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
                }
                if varied && i % 5 == 2 {
                    word.push_str(FOREIGN[i / 5 % FOREIGN.len()]);
                }
                word
            })
            .collect();
        Self { rng, vocab }
    }

    fn word(&mut self, out: &mut String) {
        // A uniform pick under a uniform bound favours low indices, as prose favours common words.
        let bound = self.rng.below(self.vocab.len()) + 1;
        out.push_str(&self.vocab[self.rng.below(bound)]);
    }

    fn words(&mut self, out: &mut String, count: usize) {
        for k in 0..count {
            if k > 0 {
                out.push(' ');
            }
            self.word(out);
        }
    }

    /// A word and the row number: words hold no digits, so keys stay unique.
    fn key(&mut self, out: &mut String, row: usize) {
        self.word(out);
        write!(out, "{row}").expect("writing to a String cannot fail");
    }

    /// Short pseudo-text; a few values hold commas or quotes so they need RFC 4180 quoting.
    fn value(&mut self, out: &mut String, kind: Kind) {
        let (lo, hi) = match kind {
            Kind::Text(lo, hi) => (lo, hi),
            Kind::Category => return out.push_str(&self.vocab[self.rng.below(CATEGORIES)]),
            Kind::Number => return self.number(out),
        };
        match self.rng.below(32) {
            0 => {
                out.push_str("said \"");
                self.word(out);
                out.push('"');
            }
            1 | 2 => {
                self.word(out);
                out.push_str(", ");
                self.word(out);
            }
            _ => {
                let count = self.rng.range(lo, hi);
                self.words(out, count);
            }
        }
    }

    /// `1234`, `-17`, `3.25`, or (one in 64) nothing: numbers as spreadsheets export them.
    fn number(&mut self, out: &mut String) {
        let n = self.rng.below(100_000);
        let written = match self.rng.below(64) {
            0 => Ok(()),
            1..=4 => write!(out, "-{}", n % 1000),
            5..=24 => write!(out, "{}.{:02}", n / 100, n % 100),
            _ => write!(out, "{n}"),
        };
        written.expect("writing to a String cannot fail");
    }

    /// 300-1,000 chars of prose with commas and one embedded newline.
    fn long(&mut self, out: &mut String) {
        // The lesser of two draws: mostly a few hundred chars, now and then near 1,000.
        let len = self.rng.range(300, 1000).min(self.rng.range(300, 1000));
        let mut newline = false;
        let start = out.len();
        while out.len() - start < len {
            self.word(out);
            if !newline && out.len() - start >= len / 2 {
                newline = true;
                out.push_str(".\n");
            } else if self.rng.below(8) == 0 {
                out.push_str(", ");
            } else {
                out.push(' ');
            }
        }
        // Cut at a character boundary: the varied corpora's words are not all ASCII.
        let mut end = start + len;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
}

fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut header = Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn append_file(tar: &mut Builder<impl Write>, path: &str, data: &[u8]) -> io::Result<()> {
    let mut header = header(EntryType::Regular, 0o644, data.len() as u64);
    tar.append_data(&mut header, path, data)
}

/// `AppleDouble` sidecar: magic, version 2, filler, one 32-byte Finder-info entry.
fn apple_double() -> Vec<u8> {
    let mut blob = vec![0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00];
    blob.extend_from_slice(b"Mac OS X        ");
    blob.extend_from_slice(&1u16.to_be_bytes());
    for word in [9u32, 38, 32] {
        // entry id (Finder info), offset, length
        blob.extend_from_slice(&word.to_be_bytes());
    }
    blob.resize(blob.len() + 32, 0);
    blob
}

/// `.DS_Store`: the `Bud1` magic and the usual 6,148 bytes, mostly zero.
fn ds_store() -> Vec<u8> {
    let mut blob = vec![0; 6148];
    blob[..8].copy_from_slice(b"\0\0\0\x01Bud1");
    blob
}

/// splitmix64: tiny, fast and good enough for synthetic text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (modulo bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`; an inverted range yields `lo`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::io::Read;

    fn unpack(gz: &[u8]) -> Vec<u8> {
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut tar)
            .unwrap();
        tar
    }

    #[derive(Debug, Default, PartialEq)]
    struct Stats {
        tables: usize,
        rows: usize,
        multiline: usize,
        apple_double: usize,
        quarantined: usize,
    }

    /// Parses every CSV, checking field counts, versions and unique non-empty keys.
    fn check(tar: &[u8], columns: std::ops::RangeInclusive<usize>) -> Stats {
        let mut stats = Stats::default();
        let mut archive = tar::Archive::new(tar);
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let name = path.strip_prefix("databases/").unwrap();
            if let Some(mut pax) = entry.pax_extensions().unwrap() {
                assert!(
                    pax.any(|x| x.unwrap().key() == Ok("LIBARCHIVE.xattr.com.apple.quarantine"))
                );
                stats.quarantined += 1;
            }
            if name.starts_with("._") {
                let mut blob = Vec::new();
                entry.read_to_end(&mut blob).unwrap();
                assert_eq!(blob[..4], [0x00, 0x05, 0x16, 0x07]);
                stats.apple_double += 1;
                continue;
            }
            if !name.ends_with(".csv") {
                continue;
            }
            stats.tables += 1;
            let mut reader = csv::Reader::from_reader(entry);
            let width = reader.headers().unwrap().len();
            assert!(columns.contains(&(width - 2)), "{path}: {width} fields");
            let mut keys = HashSet::new();
            for record in reader.records() {
                let record = record.unwrap();
                assert_eq!(record.len(), width, "{path}");
                assert_eq!(&record[0], "v0.1.0");
                assert!(!record[1].is_empty(), "{path}");
                assert!(keys.insert(record[1].to_owned()), "{path}: duplicate key");
                stats.multiline += record.iter().filter(|f| f.contains('\n')).count();
                stats.rows += 1;
            }
        }
        stats
    }

    #[test]
    fn same_spec_gives_identical_bytes() {
        let spec = CorpusSpec {
            databases: 3,
            rows: 200,
            min_columns: 1,
            max_columns: 3,
            long_field_every: 7,
            junk_entries: true,
            varied: false,
            seed: 42,
        };
        let first = generate(&spec);
        assert_eq!(first, generate(&spec));
        assert_ne!(first, generate(&CorpusSpec { seed: 43, ..spec }));

        // Every 7th row of each table holds one multi-line field.
        let long: usize = layout(&spec).iter().map(|&(rows, _)| rows / 7).sum();
        let stats = check(&unpack(&first), 1..=3);
        assert_eq!((stats.tables, stats.rows, stats.multiline), (3, 200, long));
    }

    #[test]
    fn varied_spec_has_numbers_and_non_ascii_text() {
        let spec = CorpusSpec {
            rows: 3_000,
            ..CorpusSpec::huge()
        };
        let tar = unpack(&generate(&spec));
        let stats = check(&tar, 2..=8);
        assert_eq!((stats.tables, stats.rows), (10, 3_000));
        let text = String::from_utf8(tar).expect("the CSV is UTF-8");
        assert!(text.contains("東京") && text.contains('é'));
        assert!(text.contains(",price,"), "a numeric column");
    }

    #[test]
    fn small_spec_matches_reference_shape() {
        let gz = generate(&CorpusSpec::small());
        let tar = unpack(&gz);
        assert!(
            (150_000..200_000).contains(&gz.len()),
            "gzip {} bytes",
            gz.len()
        );
        assert!(
            (600_000..700_000).contains(&tar.len()),
            "tar {} bytes",
            tar.len()
        );
        let stats = check(&tar, 2..=4);
        let expected = Stats {
            tables: 19,
            rows: 12_500,
            multiline: 0,
            apple_double: 19,
            quarantined: 10,
        };
        assert_eq!(stats, expected);
    }
}
