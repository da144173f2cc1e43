//! The real binary in a real terminal (tmux): open the inspector, move focus, search, open a record, run a cold
//! and a warm load, quit, and find the shell usable afterwards.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Tests run in parallel: each gets a server of its own.
static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A private tmux server, killed when the test ends however it ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is required for the end-to-end test of the inspector: install tmux (apt-get install tmux)"
        );
        let tmux = Tmux {
            socket: format!(
                "backstore-e2e-{}-{}",
                std::process::id(),
                SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
        };
        let out = tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    /// Escape on its own: followed at once by another key, terminals read it as Alt+key.
    fn escape(&self) {
        std::thread::sleep(Duration::from_millis(150));
        self.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(250));
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Polls the screen until `pred` holds, failing with the last screen after `timeout`.
    fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("{text:?}"), Duration::from_secs(20), |s| {
            s.contains(text)
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn inspector_end_to_end_in_tmux() {
    let data = tempfile::tempdir().expect("temp dir");
    let bin = Path::new(env!("CARGO_BIN_EXE_backstore"));
    let tmux = Tmux::start(120, 40);
    tmux.wait("a shell prompt", Duration::from_secs(10), |s| {
        !s.trim().is_empty()
    });
    let command = format!(
        "{} --data-dir {}",
        shell_quote(bin),
        shell_quote(data.path())
    );
    tmux.keys(&[&command, "Enter"]);

    // Opens with all four panes; the first start builds the cache, which then reads fresh.
    let screen = tmux.wait_for("[4] Timing");
    for title in ["[1] Databases", "[2] Records", "[3] Cache"] {
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    tmux.wait_for("FRESH");
    tmux.wait_for("[Row 1/687, Col 1/3]");

    // Focus moves by number and Tab.
    tmux.keys(&["2"]);
    tmux.wait_for("▶ [2] Records");
    tmux.keys(&["Tab"]);
    tmux.wait_for("▶ [3] Cache");
    tmux.keys(&["BTab"]);
    tmux.wait_for("▶ [2] Records");

    // A find (substring by default) counts its hits and jumps among all rows; Ctrl-R switches to fuzzy
    // (compact matches only: 10, not the 181 scattered ones).
    tmux.keys(&["/", "abs"]);
    tmux.wait_for("/abs");
    tmux.wait_for("6/687");
    tmux.keys(&["C-r", "C-r"]);
    tmux.wait_for("fuzzy");
    tmux.wait_for("10/687");
    tmux.keys(&["Enter"]);
    tmux.wait_for("/687, Col");
    // A filter keeps only the hits (the mode stays fuzzy); Enter keeps it, Enter again opens the record.
    tmux.escape();
    tmux.keys(&["&", "abs"]);
    tmux.wait_for("&abs█  10/687  fuzzy");
    tmux.keys(&["Enter"]);
    tmux.wait_for("[Row 1/10, Col");
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for("backstore get adjectives");
    assert!(detail.contains("definition"), "{detail}");
    tmux.escape();
    tmux.wait("the record to close", Duration::from_secs(10), |s| {
        !s.contains("backstore get adjectives")
    });

    // Sort by the focused column, descending: the header says so.
    tmux.keys(&["l", "]"]);
    tmux.wait_for("sorted by synonym ↓");
    // The frequency table of the column; Enter filters to the selected value.
    tmux.keys(&["F"]);
    tmux.wait_for("frequency of adjectives.synonym");
    tmux.keys(&["Enter"]);
    tmux.wait_for("&synonym:(?-i)^");
    tmux.escape();
    tmux.wait("the filter to go", Duration::from_secs(10), |s| {
        !s.contains("&synonym:")
    });
    tmux.keys(&["&", "abs", "Enter"]);
    tmux.wait_for("&abs  6/687  regex");

    // The help overlay lists keys and closes with q without quitting.
    tmux.keys(&["?"]);
    tmux.wait_for("Everywhere");
    tmux.keys(&["q"]);
    tmux.wait("help to close", Duration::from_secs(10), |s| {
        !s.contains("Everywhere")
    });

    // A cold load, then a warm one, timed in the Timing pane.
    tmux.keys(&["4"]);
    tmux.wait_for("▶ [4] Timing");
    tmux.keys(&["c"]);
    tmux.wait_for("cold load:");
    tmux.wait("the cold bar", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains("│cold ") && l.contains(" ms"))
    });
    tmux.keys(&["w"]);
    tmux.wait("the warm bar", Duration::from_secs(20), |s| {
        s.lines()
            .any(|l| l.contains("│warm ") && (l.contains(" ms") || l.contains(" µs")))
    });
    // The search survived the reloads.
    tmux.wait_for("&abs");

    // Quit; the terminal is restored and the shell answers.
    tmux.keys(&["q"]);
    tmux.wait("the inspector to close", Duration::from_secs(10), |s| {
        !s.contains("[4] Timing")
    });
    tmux.keys(&["echo done-$((6*7))", "Enter"]);
    tmux.wait_for("done-42");
    assert!(
        data.path().join("backstore.log").exists(),
        "logs go to the data dir"
    );
}

/// After the start of an escape sequence that never ends (a device report, a mouse report, a paste), q and
/// Ctrl-C still quit: the unfinished sequence is dropped, not waited on.
#[test]
fn unfinished_escape_sequences_do_not_hold_the_keyboard() {
    let data = tempfile::tempdir().expect("temp dir");
    let bin = Path::new(env!("CARGO_BIN_EXE_backstore"));
    let tmux = Tmux::start(100, 30);
    tmux.wait("a shell prompt", Duration::from_secs(10), |s| {
        !s.trim().is_empty()
    });
    let cases: [(&[&str], &str); 4] = [
        (&["1b", "5b", "3f"], "q"),
        (&["1b", "5b", "3c"], "C-c"),
        (&["1b", "5b", "32", "30", "30", "7e"], "q"),
        (&["1b", "5b", "31", "3b"], "C-c"),
    ];
    for (run, (bytes, quit)) in cases.iter().enumerate() {
        let command = format!(
            "clear; {} --data-dir {}; echo exited-{run}-$?",
            shell_quote(bin),
            shell_quote(data.path())
        );
        tmux.keys(&[&command, "Enter"]);
        tmux.wait_for("FRESH");
        let mut hex = vec!["send-keys", "-t", "e2e", "-H"];
        hex.extend_from_slice(bytes);
        assert!(tmux.run(&hex).status.success());
        // The bytes arrive on their own, as a terminal's report would, before the key.
        std::thread::sleep(Duration::from_millis(300));
        tmux.keys(&[quit]);
        let done = format!("exited-{run}-0");
        tmux.wait(
            &format!("{quit} to quit after {bytes:?}"),
            Duration::from_secs(10),
            |s| s.contains(&done),
        );
    }
}

/// Without a terminal the inspector says what it needs and how to work headless, in one line, and exits 2.
#[test]
fn without_a_terminal_it_says_so_and_exits_2() {
    let data = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_backstore"))
        .arg("--data-dir")
        .arg(data.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running backstore");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert!(stderr.contains("backstore status"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        std::fs::read_dir(data.path()).unwrap().next().is_none(),
        "nothing is written when the inspector cannot open"
    );
}

/// The archive changes on disk while the inspector runs: STALE says what changed record by record and
/// what to do; r reloads and the records shown are the new ones.
#[test]
fn a_changed_archive_shows_its_diff_and_reloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = dir.path().join("things.tar.gz");
    let write = |rows: &str| {
        let mut tar = tar::Builder::new(Vec::new());
        let text = format!("version,key,colour\n{rows}");
        let mut header = tar::Header::new_ustar();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "databases/things.csv", text.as_bytes())
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        std::fs::write(&archive, gz.finish().unwrap()).unwrap();
    };
    write("v0.1.0,sky,blue\nv0.1.0,sun,yellow\n");
    let bin = Path::new(env!("CARGO_BIN_EXE_backstore"));
    let tmux = Tmux::start(120, 40);
    tmux.wait("a shell prompt", Duration::from_secs(10), |s| {
        !s.trim().is_empty()
    });
    let command = format!(
        "{} --archive {} --data-dir {}",
        shell_quote(bin),
        shell_quote(&archive),
        shell_quote(&dir.path().join("data"))
    );
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for("FRESH");
    tmux.wait_for("yellow");
    write("v0.1.0,sky,grey\nv0.1.0,moon,white\nv0.1.0,star,silver\n");
    // The watcher notices; the diff runs on a worker.
    tmux.wait_for("STALE");
    tmux.wait_for("r reloads");
    tmux.wait_for("things +2 added · -1 removed · ~1 changed");
    tmux.keys(&["3", "D"]);
    tmux.wait_for(r#"colour: "blue" → "grey""#);
    tmux.keys(&["r"]);
    tmux.wait_for("FRESH");
    let screen = tmux.wait_for("silver");
    assert!(
        !screen.contains("yellow"),
        "the old record is gone:\n{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait("the inspector to close", Duration::from_secs(10), |s| {
        !s.contains("[4] Timing")
    });
}
