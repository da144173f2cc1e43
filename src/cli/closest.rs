//! The keys most like a missing one, for `get`'s message, in bounded work whatever the key's length.
//!
//! Comparing a key with every record by a full edit distance costs key length x key length x records: a
//! 1,000-character key on 1,000,000 rows took minutes. Here each key is cut to [`COMPARED`] characters
//! and case-folded; a key whose length or character counts already differ by more than the allowed edits
//! is passed over after one look, and the distance itself is computed only near the diagonal, giving up
//! as soon as it passes the allowance. Keys that contain the wanted text come after the typos.
//!
//! A database of a million keys that all lie within a few edits of the wanted one still needs the table
//! for each, so the tables share a budget of [`CELL_BUDGET`] cells (about a tenth of a second); once
//! it is spent, the remaining records are only checked for containing the text.

use std::cmp::Reverse;

use memchr::memmem;

use crate::catalog::Database;

/// Characters of each key compared: a long key is matched by its start.
const COMPARED: usize = 64;

/// Distance-table cells computed for one lookup, at most.
const CELL_BUDGET: u64 = 30_000_000;

/// Buckets of the character histogram that rules candidates out cheaply.
const BUCKETS: usize = 32;

/// Candidates kept for the final ranking by similarity, however many are close.
const SHORTLIST: usize = 200;

/// How alike a candidate is: typos first (fewest edits, then the longest start in common), then keys
/// holding the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Likeness {
    /// At most the allowed edits (insertions, deletions, substitutions, swaps of neighbours), and how
    /// many characters at the start are the same.
    Edits(usize, Reverse<usize>),
    /// Contains the wanted text; the field is how many characters longer the key is.
    Contains(usize),
}

/// At most `count` distinct keys of `db` most like `key` (which it does not hold), best first.
pub fn keys(db: &Database, key: &str, count: usize) -> Vec<String> {
    keys_within(db, key, count, CELL_BUDGET)
}

fn keys_within(db: &Database, key: &str, count: usize, budget: u64) -> Vec<String> {
    let wanted = folded(key);
    if wanted.is_empty() || count == 0 {
        return Vec::new();
    }
    let wanted_text: String = wanted.iter().collect();
    let allowed = (wanted.len() / 4).clamp(1, 3);
    let wanted_counts = histogram(&wanted);
    // Containing a text of one or two characters says nothing.
    let finder = (wanted.len() >= 3).then(|| memmem::Finder::new(wanted_text.as_bytes()));
    let mut text = String::new();
    let mut chars = Vec::new();
    let mut rows = Rows::default();
    let mut found: Vec<(Likeness, &str)> = Vec::new();
    for record in db.records() {
        let candidate = record.key();
        if candidate.is_empty() {
            continue;
        }
        fold_into(candidate, &mut text, &mut chars);
        let near_length = chars.len().abs_diff(wanted.len()) <= allowed;
        let edits = if near_length
            && rows.cells < budget
            && histogram_distance(&wanted_counts, &chars) <= 2 * allowed
        {
            rows.edits_within(&wanted, &chars, allowed)
        } else {
            None
        };
        let likeness = match edits {
            Some((edits, same_start)) => Likeness::Edits(edits, Reverse(same_start)),
            None => match &finder {
                Some(finder) if finder.find(text.as_bytes()).is_some() => {
                    Likeness::Contains(chars.len().saturating_sub(wanted.len()))
                }
                _ => continue,
            },
        };
        found.push((likeness, candidate));
    }
    // The best few hundred by edits, then those ranked by how alike they read (Jaro-Winkler, which
    // favours a shared start): bounded work however many keys are close.
    if found.len() > SHORTLIST {
        found.select_nth_unstable(SHORTLIST);
        found.truncate(SHORTLIST);
    }
    found.sort_unstable();
    found.dedup_by(|a, b| a.1 == b.1);
    let tier = |likeness: &Likeness| match likeness {
        Likeness::Edits(edits, _) => (0, *edits),
        Likeness::Contains(longer) => (1, *longer),
    };
    let mut ranked: Vec<(f64, Likeness, &str)> = found
        .into_iter()
        .map(|(likeness, candidate)| {
            let similarity = match likeness {
                Likeness::Edits(..) => strsim::jaro_winkler(&wanted_text, &folded_text(candidate)),
                Likeness::Contains(_) => 0.0,
            };
            (similarity, likeness, candidate)
        })
        .collect();
    ranked.sort_by(|a, b| {
        tier(&a.1)
            .cmp(&tier(&b.1))
            .then(b.0.total_cmp(&a.0))
            .then(a.2.cmp(b.2))
    });
    let mut keys: Vec<String> = Vec::with_capacity(count);
    for (_, _, candidate) in ranked {
        if !keys.iter().any(|k| k == candidate) {
            keys.push(candidate.to_string());
            if keys.len() == count {
                break;
            }
        }
    }
    keys
}

fn folded_text(text: &str) -> String {
    folded(text).into_iter().collect()
}

/// The first [`COMPARED`] characters of `text`, lower-cased.
fn folded(text: &str) -> Vec<char> {
    let mut out = String::new();
    let mut chars = Vec::new();
    fold_into(text, &mut out, &mut chars);
    chars
}

/// Writes the first [`COMPARED`] characters of `text`, lower-cased, into `out` and `chars`.
fn fold_into(text: &str, out: &mut String, chars: &mut Vec<char>) {
    out.clear();
    chars.clear();
    for c in text.chars().take(COMPARED) {
        if c.is_ascii() {
            let lower = c.to_ascii_lowercase();
            out.push(lower);
            chars.push(lower);
        } else {
            for lower in c.to_lowercase() {
                out.push(lower);
                chars.push(lower);
            }
        }
    }
}

fn bucket(c: char) -> usize {
    c as usize % BUCKETS
}

fn histogram(chars: &[char]) -> [i32; BUCKETS] {
    let mut counts = [0; BUCKETS];
    for &c in chars {
        counts[bucket(c)] += 1;
    }
    counts
}

/// How far apart the character counts are; one edit moves them by at most 2, so half of this is a lower
/// bound of the edit distance.
fn histogram_distance(wanted: &[i32; BUCKETS], chars: &[char]) -> usize {
    let mut counts = *wanted;
    for &c in chars {
        counts[bucket(c)] -= 1;
    }
    counts.iter().map(|n| n.unsigned_abs() as usize).sum()
}

/// Three rows of the distance table, kept between candidates so none is allocated per key.
#[derive(Default)]
struct Rows {
    /// Cells computed so far.
    cells: u64,
    before: Vec<usize>,
    previous: Vec<usize>,
    current: Vec<usize>,
}

const FAR: usize = usize::MAX / 4;

impl Rows {
    /// [`Rows::distance_within`] on what is left once the common start and end are set aside (they cost
    /// nothing): keys that share a long prefix, as sorted or generated keys do, compare in a few steps.
    /// Also gives how many characters the two share at the start.
    fn edits_within(&mut self, a: &[char], b: &[char], max: usize) -> Option<(usize, usize)> {
        let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[start..], &b[start..]);
        let end = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        self.distance_within(&a[..a.len() - end], &b[..b.len() - end], max)
            .map(|edits| (edits, start))
    }

    /// The optimal-string-alignment distance of `a` and `b` (edits: insert, delete, substitute, swap two
    /// neighbours) if it is at most `max`, else `None`. Only cells within `max` of the diagonal are
    /// computed: a path outside them already costs more.
    fn distance_within(&mut self, a: &[char], b: &[char], max: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let width = b.len() + 1;
        for row in [&mut self.before, &mut self.previous, &mut self.current] {
            row.clear();
            row.resize(width, FAR);
        }
        for (j, cell) in self.previous.iter_mut().enumerate().take(max + 1) {
            *cell = j;
        }
        for i in 1..=a.len() {
            let low = i.saturating_sub(max);
            let high = (i + max).min(b.len());
            // The rows are reused: the cells just outside the band, which the next row reads, are reset.
            if low > 0 {
                self.current[low - 1] = FAR;
            }
            if high < b.len() {
                self.current[high + 1] = FAR;
            }
            let mut best = FAR;
            self.cells += (high + 1 - low) as u64;
            for j in low..=high {
                let cell = if j == 0 {
                    i
                } else {
                    let substitute = self.previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
                    let mut cell = substitute
                        .min(self.previous[j] + 1)
                        .min(self.current[j - 1] + 1);
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        cell = cell.min(self.before[j - 2] + 1);
                    }
                    cell
                };
                self.current[j] = cell;
                best = best.min(cell);
            }
            if best > max {
                return None;
            }
            std::mem::swap(&mut self.before, &mut self.previous);
            std::mem::swap(&mut self.previous, &mut self.current);
        }
        let distance = self.previous[b.len()];
        (distance <= max).then_some(distance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, Limits};

    fn database(csv: &str) -> Database {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(csv.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "databases/d.csv", csv.as_bytes())
            .expect("a tar in memory");
        let bytes = tar.into_inner().expect("a tar in memory");
        let (catalog, _) = catalog::build(&bytes, &Limits::default()).expect("a valid archive");
        catalog.databases()[0].clone()
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn the_banded_distance_agrees_with_the_full_one() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "teal",
            "tael",
            "steal",
            "kitten",
            "sitting",
            "abcdef",
            "badcfe",
            "日本語",
            "日語本",
        ];
        let mut rows = Rows::default();
        for a in words {
            for b in words {
                let full = strsim::osa_distance(a, b);
                for max in 0..4 {
                    let banded = rows.distance_within(&chars(a), &chars(b), max);
                    let expected = (full <= max).then_some(full);
                    assert_eq!(banded, expected, "{a:?} {b:?} within {max}");
                }
            }
        }
    }

    #[test]
    fn the_distance_agrees_with_the_full_one_on_generated_pairs() {
        // A fixed linear congruential sequence: the same pairs every run, small alphabets so that
        // repeats, swaps and shared starts and ends are common.
        let mut state: u64 = 0x5eed;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let mut rows = Rows::default();
        for _ in 0..50_000 {
            let alphabet = ['a', 'b', 'c', 'é'];
            let letters = 2 + next(3) as usize;
            let word = |next: &mut dyn FnMut(u64) -> u64| -> Vec<char> {
                let len = next(10);
                (0..len)
                    .map(|_| alphabet[next(letters as u64) as usize])
                    .collect()
            };
            let a = word(&mut next);
            let b = word(&mut next);
            let (a_text, b_text): (String, String) = (a.iter().collect(), b.iter().collect());
            let full = strsim::osa_distance(&a_text, &b_text);
            for max in 0..5 {
                let expected = (full <= max).then_some(full);
                assert_eq!(
                    rows.edits_within(&a, &b, max).map(|(e, _)| e),
                    expected,
                    "{a_text:?} {b_text:?} within {max}"
                );
                assert_eq!(
                    rows.distance_within(&a, &b, max),
                    expected,
                    "{a_text:?} {b_text:?} within {max}"
                );
            }
        }
    }

    #[test]
    fn a_short_typo_suggests_the_key_first() {
        let db =
            database("colour,hex\nTeal,#008080\nRed,#f00\nTealdeer,x\nSteel,#777\nNavy,#000080\n");
        let close = keys(&db, "Tael", 5);
        assert_eq!(close.first().map(String::as_str), Some("Teal"), "{close:?}");
        assert!(!close.contains(&"Navy".to_string()), "{close:?}");
        // Case is not an edit, and a key holding the text comes after the typos.
        assert_eq!(keys(&db, "teal", 2), ["Teal", "Tealdeer"]);
    }

    #[test]
    fn a_spent_budget_leaves_only_the_keys_that_contain_the_text() {
        let db = database("colour,hex\nTeal,#008080\nTealdeer,x\nSteel,#777\n");
        assert_eq!(keys_within(&db, "teal", 5, 0), ["Teal", "Tealdeer"]);
        assert_eq!(keys_within(&db, "tael", 5, 0), Vec::<String>::new());
        assert_eq!(keys_within(&db, "tael", 5, CELL_BUDGET), ["Teal"]);
    }

    #[test]
    fn duplicate_keys_are_suggested_once() {
        let db = database("k,v\nabcd,1\nabcd,2\nabce,3\n");
        assert_eq!(keys(&db, "abcf", 5), ["abcd", "abce"]);
    }

    #[test]
    fn a_long_key_is_compared_by_its_start() {
        let long = "x".repeat(300);
        let db = database(&format!("k,v\n{long}y,1\nshort,2\n"));
        let wanted = "x".repeat(1000);
        assert_eq!(keys(&db, &wanted, 5), [format!("{long}y")]);
        assert!(keys(&db, &"z".repeat(10_000), 5).is_empty());
    }

    #[test]
    fn nothing_alike_suggests_nothing() {
        let db = database("k,v\nalpha,1\nbravo,2\n");
        assert!(keys(&db, "zzzzzz", 5).is_empty());
        assert!(keys(&db, "", 5).is_empty());
    }
}
