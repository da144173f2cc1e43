//! Writes a synthetic corpus: `gen_corpus <small|large|huge> <OUT.tar.gz> [--rows N]`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use backstore::testkit::corpus::{self, CorpusSpec};

const USAGE: &str = "usage: gen_corpus <small|large|huge> <OUT.tar.gz> [--rows N]";

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
                "huge" => CorpusSpec::huge(),
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

    // Read the file back, streaming: proves it unpacks and gives the uncompressed size.
    let file = std::fs::File::open(&out).map_err(|e| e.to_string())?;
    let compressed = file.metadata().map_err(|e| e.to_string())?.len();
    let mut tar = Counted {
        inner: flate2::read::GzDecoder::new(std::io::BufReader::new(file)),
        bytes: 0,
    };
    let mut entries = 0;
    for entry in tar::Archive::new(&mut tar)
        .entries()
        .map_err(|e| e.to_string())?
    {
        std::io::copy(&mut entry.map_err(|e| e.to_string())?, &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        entries += 1;
    }
    std::io::copy(&mut tar, &mut std::io::sink()).map_err(|e| e.to_string())?;

    println!("{}", out.display());
    println!("entries:      {entries}");
    println!("rows:         {}", spec.rows);
    println!("uncompressed: {} bytes", tar.bytes);
    println!("compressed:   {compressed} bytes");
    println!("generated in: {elapsed:.2?}");
    Ok(())
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}
