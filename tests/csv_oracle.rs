//! The whole store against an independent reader: Python's csv module parses random messy CSV, and
//! `backstore export` of the same bytes, packed into an archive, must give exactly those records
//! (`scripts/csv_oracle.py`; more cases with `CSV_ORACLE_CASES`).

use std::process::Command;

#[test]
fn export_agrees_with_pythons_csv_module() {
    let cases = std::env::var("CSV_ORACLE_CASES").unwrap_or_else(|_| "200".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/csv_oracle.py");
    let run = Command::new("python3")
        .args([script, env!("CARGO_BIN_EXE_backstore"), &cases, "7"])
        .output()
        .expect("python3 runs (a fresh machine has it)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains(&format!("{cases} cases, 0 differ")),
        "{stdout}"
    );
}
