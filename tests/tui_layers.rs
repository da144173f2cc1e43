//! The inspector's layers: state code (the App, its updates, the panes' state, the keymap and the
//! layout) never imports drawing code. Drawing reads state and reports what it measured; nothing reads `ui`.
//! And drawing never runs the search matcher: match positions are found in state, once per cell.

use std::path::{Path, PathBuf};

/// The inspector's files that hold state or change it.
fn state_files() -> Vec<PathBuf> {
    let tui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files: Vec<PathBuf> = [
        "app.rs",
        "update.rs",
        "update_records.rs",
        "results.rs",
        "keys.rs",
        "layout.rs",
        "action.rs",
    ]
    .iter()
    .map(|f| tui.join(f))
    .collect();
    for entry in std::fs::read_dir(tui.join("state")).expect("src/tui/state is listed") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Lines of `source` that name the `ui` module, comments left out.
fn ui_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .filter(|code| {
            code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "ui")
        })
        .map(|code| code.trim().to_string())
        .collect()
}

#[test]
fn the_check_sees_an_import_of_drawing_code() {
    assert_eq!(
        ui_uses("use super::ui::help;\n// ui:: in a comment\nlet x = crate::tui::ui::max_scroll;"),
        [
            "use super::ui::help;",
            "let x = crate::tui::ui::max_scroll;"
        ]
    );
    assert!(ui_uses("let build = quick;").is_empty());
}

#[test]
fn state_code_never_imports_drawing_code() {
    let files = state_files();
    assert!(files.len() > 10, "the state files are found: {files:?}");
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let source = std::fs::read_to_string(path).expect("a source file");
            ui_uses(&source)
                .into_iter()
                .map(move |line| format!("{}: {line}", path.display()))
        })
        .collect();
    assert!(
        found.is_empty(),
        "state code names `ui`:\n{}",
        found.join("\n")
    );
}

/// Lines of `source` that run the matcher or name a query.
fn matcher_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .filter(|code| code.contains(".positions(") || code.contains("Query"))
        .map(|code| code.trim().to_string())
        .collect()
}

#[test]
fn drawing_never_runs_the_matcher() {
    assert_eq!(
        matcher_uses("let p = q.positions(v);\nuse crate::search::Query;\n// q.positions(v)"),
        ["let p = q.positions(v);", "use crate::search::Query;"]
    );
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui/ui");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&ui).expect("src/tui/ui is listed") {
        let path = entry.expect("a directory entry").path();
        let source = std::fs::read_to_string(&path).expect("a source file");
        found.extend(
            matcher_uses(&source)
                .into_iter()
                .map(|line| format!("{}: {line}", path.display())),
        );
    }
    assert!(
        found.is_empty(),
        "drawing runs the matcher:\n{}",
        found.join("\n")
    );
}
