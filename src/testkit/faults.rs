//! Faults injected on purpose, so a test can prove that a failure deep in a build is reported, not lost.
//!
//! No real input makes the parser panic; this makes one database's parse panic on demand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many names are armed, so a build with none pays one atomic load per database.
static ARMED: AtomicUsize = AtomicUsize::new(0);
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// While the returned guard lives, parsing any database named `name` panics (in every thread and every
/// build of this process, so pick a name no other test uses).
pub fn panic_while_parsing(name: &str) -> Armed {
    names().push(name.to_string());
    ARMED.fetch_add(1, Ordering::SeqCst);
    Armed {
        name: name.to_string(),
    }
}

/// Disarms its fault when dropped.
#[derive(Debug)]
pub struct Armed {
    name: String,
}

impl Drop for Armed {
    fn drop(&mut self) {
        let mut names = names();
        if let Some(i) = names.iter().position(|n| *n == self.name) {
            names.remove(i);
            ARMED.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Called before each database is parsed.
pub(crate) fn before_parsing(name: &str) {
    if ARMED.load(Ordering::SeqCst) == 0 {
        return;
    }
    let armed = names().iter().any(|n| n == name);
    assert!(!armed, "fault injected while parsing {name}");
}

fn names() -> std::sync::MutexGuard<'static, Vec<String>> {
    NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
