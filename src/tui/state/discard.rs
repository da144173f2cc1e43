//! Big results (a frequency table, a million hits, a sort's order, an old catalog) are freed on a
//! thread of their own: freeing one takes milliseconds, which a frame cannot spare.

use tracing::warn;

/// Drops `value` on another thread; when no thread can be started, the failed spawn drops it here.
pub fn discard<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new()
        .name("discard".into())
        .spawn(move || drop(value));
    if let Err(e) = spawned {
        warn!(error = %e, "could not start a thread to free a result: freed here");
    }
}
