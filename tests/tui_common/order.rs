//! The oracle for the order of a search's hits: worked out here the slow, obvious way from the applied
//! search's own ranking and the sort's order, and compared with what the workers arranged.

use std::collections::HashMap;

use backstore::search::Hit;
use backstore::tui::app::App;
use backstore::tui::state::records::SearchScope;

/// Hits of a search in one database follow the sort shown (or, unsorted, the search's own ranking), and a
/// find's rows are the rows holding them, at every moment: the rows and the hits never disagree.
pub fn hits_follow_the_sort(app: &App) {
    let r = &app.records;
    if let Some(sort) = &r.sort.current {
        for (place, &record) in sort.order.iter().enumerate() {
            assert_eq!(
                sort.rank.get(record),
                Some(&place),
                "rank of record {record}"
            );
        }
    }
    let Some(a) = &r.applied else { return };
    let Some(db) = a.db.filter(|_| a.scope == SearchScope::Database) else {
        return;
    };
    let sort = r.sort.current.as_ref().filter(|s| s.db == db);
    assert_eq!(
        a.sorted_by,
        sort.map(|s| s.id),
        "the hits follow the sort shown"
    );
    let places: Option<HashMap<usize, usize>> = sort.map(|s| {
        s.order
            .iter()
            .enumerate()
            .map(|(place, &record)| (record, place))
            .collect()
    });
    let place = |h: &Hit| match &places {
        Some(p) => p.get(&h.record).copied().unwrap_or(usize::MAX),
        None => h.record,
    };
    let mut expected: Vec<Hit> = a.ranked.as_ref().clone();
    if places.is_some() {
        expected.sort_by_key(place);
    }
    assert_eq!(*a.hits, expected, "hits in the order shown");
    let mut rows: Vec<(usize, usize)> = expected.iter().map(|h| (place(h), h.field)).collect();
    rows.sort_unstable();
    rows.dedup_by_key(|r| r.0);
    let (rows, fields): (Vec<usize>, Vec<usize>) = rows.into_iter().unzip();
    assert_eq!(r.hit_rows, rows, "a find's rows are the rows holding hits");
    assert_eq!(r.hit_fields, fields, "and the field that matched on each");
}
