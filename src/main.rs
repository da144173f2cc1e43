//! The `backstore` binary: parse the arguments, run, print the error chain, map it to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match backstore::cli::run() {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("backstore: {err:#}");
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
