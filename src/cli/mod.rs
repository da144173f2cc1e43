//! The command line: clap definitions, set-up shared by every subcommand, and dispatch.
//!
//! Headless subcommands print to stdout (`--json` for scripts) and never touch the terminal's modes; with no
//! subcommand the inspector opens.

mod closest;
mod commands;
mod diff;
mod export;
mod fresh;
mod render;
mod search;
mod text;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::cache::{ArchiveSource, CacheManager, ManagerOptions, default_data_dir_for};
use crate::catalog::Limits;
use crate::search::Mode;

/// Inspect and manage the binary cache of an archive of CSV databases.
#[derive(Debug, Parser)]
#[command(name = "backstore", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand accepts, before or after its name.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Archive to read instead of the embedded demo data: a .tar.gz or .tar of CSV files, one .csv file, or a
    /// folder of CSV files.
    #[arg(long, global = true, value_name = "PATH")]
    pub archive: Option<PathBuf>,
    /// Data directory; the cache lives in its cache/ folder [default: $`BACKSTORE_DATA_DIR`, else the
    /// platform data directory, with a folder of its own for each --archive].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log decisions on stderr (-vv for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Largest decompressed archive entry accepted, in MiB, or --max-ratio times the archive's size if
    /// that is more.
    #[arg(long, global = true, value_name = "MIB", default_value_t = Limits::DEFAULT.max_entry_bytes >> 20)]
    pub max_entry_mib: u64,
    /// Largest total decompressed archive accepted, in MiB, or --max-ratio times the archive's size if
    /// that is more.
    #[arg(long, global = true, value_name = "MIB", default_value_t = Limits::DEFAULT.max_total_bytes >> 20)]
    pub max_total_mib: u64,
    /// Decompressed bytes accepted per byte of the archive, above the two caps in MiB (0: no scaling).
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::DEFAULT.max_ratio)]
    pub max_ratio: u64,
    /// Most records indexed, all databases together.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::DEFAULT.max_records)]
    pub max_records: u64,
    /// Most fields indexed (keys included), all databases together.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::DEFAULT.max_fields)]
    pub max_fields: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal inspector (the default).
    Tui,
    /// Is the cache fresh? Checks the whole cache file (checksum, decoding, validation) unless --quick.
    /// Exit 0 when fresh, 1 otherwise.
    Status(StatusArgs),
    /// Load as an application does at start-up: from the cache when fresh, else build and write it.
    Load(JsonFlag),
    /// Build from the archive and write the cache, whatever state it is in.
    Rebuild(JsonFlag),
    /// Delete the cache files and checksums.json.
    Invalidate(JsonFlag),
    /// List the databases with their columns, counts and warnings.
    List(JsonFlag),
    /// Look a key up in a database. Exit 1 when absent, with the closest keys on stderr.
    Get {
        database: String,
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Find records by key or value, key hits first. Exit 1 when nothing matches.
    ///
    /// `COLUMN:TEXT` looks in one column only; `\:` is a colon that scopes nothing.
    Search {
        query: String,
        /// Search only this database.
        #[arg(long, value_name = "DB")]
        db: Option<String>,
        /// How to match: substring (smart case: an upper-case letter makes it exact), regex (smart
        /// case too), or fuzzy (the characters in order and close together).
        #[arg(long, default_value_t = Mode::Substring, value_parser = |s: &str| s.parse::<Mode>())]
        mode: Mode,
        /// Show at most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// What changed between the cache file and the archive, record by record (a stale cache's
    /// difference). Exit 0 when identical, 1 when they differ.
    Diff(JsonFlag),
    /// Write every record of one database or of all, in record order: JSON lines (one `get --json`
    /// object a line) or CSV that reads back as the same records.
    ///
    /// To stdout, or with --out one `<database>.<format>` file per database into DIR (CSV of every
    /// database needs it). Rows without a key are not records and are not written.
    Export {
        /// The database to export [default: every one].
        database: Option<String>,
        #[arg(long, value_enum, default_value_t = export::Format::Jsonl)]
        format: export::Format,
        /// Write one file per database into this folder instead of stdout.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Overwrite files already in --out (without it, an existing file stops the export).
        #[arg(long)]
        force: bool,
    },
    /// Time N cold builds against N warm loads, interleaved, after K warm-up pairs.
    Bench {
        #[arg(long, default_value_t = 30)]
        runs: usize,
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        #[arg(long)]
        json: bool,
        /// Time whole processes: run this program again as a child for every run, beside the time
        /// each child reports from inside.
        #[arg(long)]
        fresh: bool,
    },
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Read only the cache file's header and size: cheap, but blind to damage inside the payload.
    #[arg(long)]
    pub quick: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Global {
    fn limits(&self) -> Limits {
        Limits {
            max_entry_bytes: self.max_entry_mib.saturating_mul(1 << 20),
            max_total_bytes: self.max_total_mib.saturating_mul(1 << 20),
            max_ratio: self.max_ratio,
            max_records: self.max_records,
            max_fields: self.max_fields,
        }
    }

    /// The manager for these options; `data_dir` overrides the resolved data dir. Without either, each
    /// archive gets a data dir of its own (see `default_data_dir_for`).
    pub fn manager(&self, data_dir: Option<PathBuf>) -> CacheManager {
        let source = match &self.archive {
            Some(path) => ArchiveSource::Path(path.clone()),
            None => ArchiveSource::demo(),
        };
        let data_dir = data_dir
            .or_else(|| self.data_dir.clone())
            .or_else(|| default_data_dir_for(&source));
        CacheManager::new(ManagerOptions {
            source,
            data_dir,
            limits: self.limits(),
        })
    }
}

/// Parses the arguments and runs the command, writing to stdout.
pub fn run() -> Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to stdout and exit 0, as clap does.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => anyhow::bail!("{}", one_line(&e)),
    };
    let command = cli.command.unwrap_or(Command::Tui);
    if matches!(command, Command::Tui) {
        return inspect(&cli.global);
    }
    init_logging(cli.global.verbose);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = execute(&cli.global, command, &mut out)?;
    out.flush()?;
    Ok(code)
}

#[cfg(feature = "inspector")]
fn inspect(global: &Global) -> Result<ExitCode> {
    crate::tui::run(std::sync::Arc::new(global.manager(None)))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "inspector"))]
fn inspect(_: &Global) -> Result<ExitCode> {
    anyhow::bail!(
        "this build has no inspector (built without the `inspector` feature); see backstore --help"
    )
}

/// Runs one headless command, writing its output to `out`.
pub fn execute(global: &Global, command: Command, out: &mut impl Write) -> Result<ExitCode> {
    match command {
        Command::Tui => {
            anyhow::bail!("the inspector needs a terminal; run `backstore` without a subcommand")
        }
        Command::Status(f) => commands::status(&global.manager(None), f.quick, f.json, out),
        Command::Load(f) => commands::load(&global.manager(None), f.json, out),
        Command::Rebuild(f) => commands::rebuild(&global.manager(None), f.json, out),
        Command::Invalidate(f) => commands::invalidate(&global.manager(None), f.json, out),
        Command::List(f) => commands::list(&global.manager(None), f.json, out),
        Command::Get {
            database,
            key,
            json,
        } => commands::get(&global.manager(None), &database, &key, json, out),
        Command::Search {
            query,
            db,
            mode,
            limit,
            json,
        } => {
            let args = search::SearchArgs {
                text: &query,
                mode,
                database: db.as_deref(),
                limit,
                json,
            };
            search::search(&global.manager(None), &args, out)
        }
        Command::Diff(f) => diff::diff(&global.manager(None), f.json, out),
        Command::Export {
            database,
            format,
            out: dir,
            force,
        } => {
            let args = export::ExportArgs {
                database: database.as_deref(),
                format,
                out: dir.as_deref(),
                force,
            };
            export::export(&global.manager(None), &args, out)
        }
        Command::Bench {
            runs,
            warmup,
            json,
            fresh: true,
        } => fresh::bench(global, runs, warmup, json, out),
        Command::Bench {
            runs, warmup, json, ..
        } => commands::bench(global, runs, warmup, json, out),
    }
}

/// A clap error in one line, as every other error is: its message and details without the usage block.
fn one_line(error: &clap::Error) -> String {
    let text = error.to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    format!("{message} (see backstore --help)")
}

fn init_logging(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let level = if verbose == 1 {
        "backstore=info"
    } else {
        "backstore=debug"
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(level)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
