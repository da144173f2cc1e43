//! The key table's check, split by home slot over the cores: records are hashed in parallel stretches,
//! each part of the table (a range of home slots) is then sorted and walked on its own, and the parts'
//! verdicts are combined in table order, so the answer is the one a single walk would give.

use xxhash_rust::xxh3::xxh3_64;

use super::{Inconsistency, Raw, in_parallel, key, word, words};

/// Probes a lookup of every key may take, per slot of the table: honest tables need about two.
const PROBES_PER_SLOT: usize = 32;

/// Distinct keys sharing one 64-bit hash that a table may hold.
const MAX_KEYS_PER_HASH: usize = 4;

/// Proves that looking up any record's key finds the first record with that key, as
/// `Database::position` probes, without probing at random: records are sorted by their key's home slot,
/// so the table is walked in order. Returns how many records are duplicates.
///
/// Records with equal keys form a group; the table must hold exactly one entry per group, the group's
/// first record, in a slot reached from the key's home without crossing an empty slot. Then a lookup
/// passes only other groups' entries (other keys) on its way, and stops at that first record.
pub(super) fn check_keys(
    raw: &Raw<'_>,
    records: usize,
    parts: usize,
) -> Result<u64, Inconsistency> {
    let slots = raw.slots.len() / 4;
    // At least one empty slot, so a lookup of an absent key ends; decoding checked the power of two.
    if slots <= records {
        return Err(Inconsistency::KeyTableTooSmall { slots, records });
    }
    let parts = parts.clamp(1, slots);
    let occupied = in_parallel(parts, |p| {
        count_entries(raw, p * slots / parts..(p + 1) * slots / parts, records)
    })
    .into_iter()
    .sum::<Result<usize, Inconsistency>>()?;
    let mask = slots - 1;
    // Which part of the table a home slot lies in.
    let part_of = |hash: u64| (hash as usize & mask) * parts / slots;
    // Per stretch of records, per part of the table: (hash, record), records in order.
    let hashed: Vec<Vec<Vec<(u64, u32)>>> = in_parallel(parts, |p| {
        let mut by_part = vec![Vec::with_capacity(records / parts / parts + 1); parts];
        for r in p * records / parts..(p + 1) * records / parts {
            let hash = xxh3_64(key(raw, r));
            by_part[part_of(hash)].push((hash, r as u32));
        }
        by_part
    });
    let walks = in_parallel(parts, |q| {
        let mut keyed: Vec<(u64, u32)> = hashed.iter().flat_map(|s| s[q].iter().copied()).collect();
        sort_by_home(&mut keyed, mask);
        walk(raw, &keyed, mask, slots.saturating_mul(PROBES_PER_SLOT))
    });
    // As one walk over the whole table would have it: a part's probes count against what the parts
    // before it left of the budget, and a part that needed more than that was too crowded.
    let mut budget = slots.saturating_mul(PROBES_PER_SLOT);
    let (mut groups, mut duplicates) = (0usize, 0u64);
    for walk in walks {
        if walk.probes > budget {
            return Err(Inconsistency::KeyTableTooCrowded);
        }
        budget -= walk.probes;
        let (g, d) = walk.found?;
        groups += g;
        duplicates += d;
    }
    // Every group's first record was found; any other entry is a duplicate or a stray record.
    if occupied != groups {
        return Err(Inconsistency::KeyTableStrayEntries {
            entries: occupied,
            keys: groups,
        });
    }
    Ok(duplicates)
}

/// The occupied slots among `range`, each proven to name a record.
fn count_entries(
    raw: &Raw<'_>,
    range: std::ops::Range<usize>,
    records: usize,
) -> Result<usize, Inconsistency> {
    let mut occupied = 0usize;
    let section = raw
        .slots
        .get(range.start * 4..range.end * 4)
        .unwrap_or_default();
    for (i, entry) in words(section).enumerate() {
        if entry > records {
            return Err(Inconsistency::KeyTableEntryOutOfRange {
                slot: range.start + i,
                record: entry - 1,
                records,
            });
        }
        occupied += usize::from(entry != 0);
    }
    Ok(occupied)
}

/// One part's walk: the groups and duplicates it found, or the first inconsistency, and the probes it
/// took until then.
struct Walk {
    found: Result<(usize, u64), Inconsistency>,
    probes: usize,
}

/// Looks up the first record of each group of `keyed` (sorted by home), probing at most `budget` times.
fn walk(raw: &Raw<'_>, keyed: &[(u64, u32)], mask: usize, budget: usize) -> Walk {
    let mut probes = 0usize;
    let found = walk_counting(raw, keyed, mask, budget, &mut probes);
    Walk { found, probes }
}

fn walk_counting(
    raw: &Raw<'_>,
    keyed: &[(u64, u32)],
    mask: usize,
    budget: usize,
    probes: &mut usize,
) -> Result<(usize, u64), Inconsistency> {
    let (mut groups, mut duplicates) = (0usize, 0u64);
    let mut leaders: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < keyed.len() {
        // One run of equal hashes: after the sort they are adjacent, records in increasing order.
        let hash = keyed[i].0;
        let run = keyed[i..].iter().take_while(|(h, _)| *h == hash).count();
        leaders.clear();
        for &(_, record) in &keyed[i..i + run] {
            // Keys are fetched (at random places) only for the rare runs of more than one record.
            if run > 1 {
                let wanted = key(raw, record as usize);
                if leaders.iter().any(|&l| key(raw, l as usize) == wanted) {
                    duplicates += 1;
                    continue;
                }
            }
            // Distinct keys with one 64-bit hash: honest data never has more than a couple.
            if leaders.len() == MAX_KEYS_PER_HASH {
                return Err(Inconsistency::KeyTableTooCrowded);
            }
            leaders.push(record);
            groups += 1;
            let mut slot = hash as usize & mask;
            loop {
                if *probes == budget {
                    // Counted as one more than the budget, so that combining the parts refuses it.
                    *probes += 1;
                    return Err(Inconsistency::KeyTableTooCrowded);
                }
                *probes += 1;
                match word(raw.slots, slot) {
                    0 => {
                        return Err(Inconsistency::KeyNotFound {
                            record: record as usize,
                        });
                    }
                    entry if entry - 1 == record as usize => break,
                    _ => slot = (slot + 1) & mask,
                }
            }
        }
        i += run;
    }
    Ok((groups, duplicates))
}

/// Sorts (hash, record) by home slot, then hash, keeping records in order within equal hashes: a stable
/// radix sort on the home's bits (linear), then each run of one home sorted by hash (runs are short).
fn sort_by_home(keyed: &mut Vec<(u64, u32)>, mask: usize) {
    const DIGIT: u32 = 11;
    let bits = usize::BITS - mask.leading_zeros();
    let mut buffer = vec![(0u64, 0u32); keyed.len()];
    let mut shift = 0;
    while shift < bits {
        let width = DIGIT.min(bits - shift);
        let digit = |h: u64| ((h as usize & mask) >> shift) & ((1 << width) - 1);
        let mut counts = vec![0usize; 1 << width];
        for &(h, _) in keyed.iter() {
            counts[digit(h)] += 1;
        }
        let mut at = 0;
        for count in &mut counts {
            let n = *count;
            *count = at;
            at += n;
        }
        for &item in keyed.iter() {
            let d = digit(item.0);
            buffer[counts[d]] = item;
            counts[d] += 1;
        }
        std::mem::swap(keyed, &mut buffer);
        shift += width;
    }
    let mut i = 0;
    while i < keyed.len() {
        let home = keyed[i].0 as usize & mask;
        let run = keyed[i..]
            .iter()
            .take_while(|(h, _)| *h as usize & mask == home)
            .count();
        if run > 1 {
            keyed[i..i + run].sort_by_key(|&(h, r)| (h, r));
        }
        i += run;
    }
}
