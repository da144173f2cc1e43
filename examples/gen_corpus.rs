//! Writes a synthetic corpus: `gen_corpus <small|large> <OUT.tar.gz> [--rows N]`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use backstore::testkit::corpus::{self, CorpusSpec};

const USAGE: &str = "usage: gen_corpus <small|large> <OUT.tar.gz> [--rows N]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut spec, out) = match args.as_slice() {
        [kind, out, ..] => {
            let spec = match kind.as_str() {
                "small" => CorpusSpec::small(),
                "large" => CorpusSpec::large(),
                other => return Err(format!("unknown corpus `{other}`")),
            };
            (spec, PathBuf::from(out))
        }
        _ => return Err("missing arguments".into()),
    };
    match &args[2..] {
        [] => {}
        [flag, n] if flag == "--rows" => {
            spec.rows = n.parse().map_err(|e| format!("--rows {n}: {e}"))?;
        }
        rest => return Err(format!("unexpected arguments {rest:?}")),
    }

    let start = Instant::now();
    corpus::write(&spec, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    let elapsed = start.elapsed();

    // Read the file back: proves it unpacks and gives the uncompressed size.
    let gz = std::fs::read(&out).map_err(|e| e.to_string())?;
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut tar)
        .map_err(|e| e.to_string())?;
    let entries = tar::Archive::new(tar.as_slice())
        .entries()
        .map_err(|e| e.to_string())?
        .count();

    println!("{}", out.display());
    println!("entries:      {entries}");
    println!("rows:         {}", spec.rows);
    println!("uncompressed: {} bytes", tar.len());
    println!("compressed:   {} bytes", gz.len());
    println!("generated in: {elapsed:.2?}");
    Ok(())
}
