//! The `backstore` binary: parse the arguments, run, print the error chain, map it to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    match backstore::cli::run() {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One line whatever the error holds: an archive's text cannot drive the terminal or forge a
            // second line.
            let message = format!("{err:#}");
            eprintln!("backstore: {}", backstore::error::escape_controls(&message));
            ExitCode::from(2)
        }
    }
}

/// Output piped into `head` that stops reading is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// glibc raises its mmap threshold each time a large block is freed; after that, blocks of tens of
/// megabytes (a database's CSV while it is parsed) come from the heap and stay resident once freed. A
/// fixed threshold hands them back: a cold load of 1,000,000 rows peaks at 145 MB instead of 179 MB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets an allocator parameter, and this runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}
