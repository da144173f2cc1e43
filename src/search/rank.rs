//! Putting hits in their order ([`Hit::cmp_rank`]): key hits first, then by score, then in catalog order.
//!
//! A search's jobs cover the catalog in order, each one wholly before the next, so each job ranks its
//! own hits on its own thread ([`rank_chunk`]) and the ranked chunks then only need merging
//! ([`merged`]): runs of equal rank copied chunk after chunk, from the highest rank down.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Hit;

/// What ranks a hit before catalog order ([`Hit::cmp_rank`]): its kind (key first), then its score.
fn rank_of(hit: &Hit) -> (bool, i64) {
    (hit.is_key(), hit.score)
}

/// Ranks hits that are in catalog order: a stable sort by rank alone keeps that order among equals.
pub(super) fn rank_chunk(hits: &mut [Hit]) {
    hits.sort_by_key(|h| Reverse(rank_of(h)));
}

/// Merges chunks ranked by [`rank_chunk`], each wholly before the next in catalog order: the chunk
/// whose next run ranks highest (the earliest chunk among equals) gives its run next.
pub(super) fn merged(chunks: &[Vec<Hit>]) -> Vec<Hit> {
    let mut ranked = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    let mut next = vec![0usize; chunks.len()];
    let mut heads: BinaryHeap<((bool, i64), Reverse<usize>)> = chunks
        .iter()
        .enumerate()
        .filter_map(|(c, hits)| Some((rank_of(hits.first()?), Reverse(c))))
        .collect();
    while let Some((rank, Reverse(c))) = heads.pop() {
        let rest = &chunks[c][next[c]..];
        let run = rest.iter().take_while(|h| rank_of(h) == rank).count();
        ranked.extend_from_slice(&rest[..run]);
        next[c] += run;
        if let Some(h) = rest.get(run) {
            heads.push((rank_of(h), Reverse(c)));
        }
    }
    ranked
}

/// The hits of all chunks, in any order, ranked by the whole comparison.
pub(super) fn sorted(chunks: &[Vec<Hit>]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = chunks.iter().flatten().copied().collect();
    hits.sort_unstable_by(Hit::cmp_rank);
    hits
}

/// Ranks hits as a search does: in chunks of a few hits merged when they come in catalog order (so that
/// tests see chunk edges too), else by the whole comparison. For the differential tests.
#[cfg(feature = "testkit")]
pub(crate) fn rank(hits: &mut [Hit]) {
    let in_catalog_order = hits
        .windows(2)
        .all(|w| (w[0].database, w[0].record) < (w[1].database, w[1].record));
    let mut chunks: Vec<Vec<Hit>> = hits.chunks(97).map(<[Hit]>::to_vec).collect();
    let ranked = if in_catalog_order {
        for chunk in &mut chunks {
            rank_chunk(chunk);
        }
        merged(&chunks)
    } else {
        sorted(&chunks)
    };
    hits.copy_from_slice(&ranked);
}
