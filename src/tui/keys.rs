//! The one keymap table: it turns key presses into actions, and the same rows feed the footer hints and the
//! help overlay, so what is documented is what works.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::{App, Overlay, Pane};

/// Where a binding applies. The first matching context wins, in the order [`App::contexts`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    /// Any of the four panes (movement).
    Panes,
    Databases,
    Records,
    Cache,
    Timing,
    /// Typing a filter or search.
    Input,
    /// Typing a row to go to (`:N`) or where to write an export.
    Prompt,
    Detail,
    Diff,
    Insight,
    Help,
    Confirm,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Panes => "In every pane",
            Context::Databases => "[1] Databases",
            Context::Records => "[2] Records",
            Context::Cache => "[3] Cache",
            Context::Timing => "[4] Timing",
            Context::Input => "While typing a filter or search",
            Context::Prompt => "While typing a row number (:N) or a file name (e)",
            Context::Detail => "Record detail",
            Context::Diff => "What changed (stale cache)",
            Context::Insight => "Frequency table and statistics",
            Context::Help => "This help",
            Context::Confirm => "Questions",
        }
    }

    pub const ALL: [Context; 13] = [
        Context::Global,
        Context::Panes,
        Context::Databases,
        Context::Records,
        Context::Cache,
        Context::Timing,
        Context::Input,
        Context::Prompt,
        Context::Detail,
        Context::Diff,
        Context::Insight,
        Context::Help,
        Context::Confirm,
    ];
}

/// A key with the modifiers that matter (Shift is part of the character or of `BackTab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

/// One row of the keymap.
#[derive(Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// How the keys are written in hints and help.
    pub label: &'static str,
    /// What the key does, in a few words.
    pub help: &'static str,
    pub action: Action,
    /// Shown in the footer when its context is active.
    pub hint: bool,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    action: Action,
    hint: bool,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        help,
        action,
        hint,
    }
}

use Context as C;
use KeyCode as K;

/// The keymap. Typing a character while a filter is edited is the one input not listed: it goes into the text.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    bind(C::Global, &[ctrl('c')], "Ctrl-C", "quit, always", Action::Quit, false),
    bind(C::Global, &[key('q')], "q", "quit", Action::Quit, true),
    bind(C::Global, &[key('?')], "?", "help: every key", Action::ToggleHelp, true),
    bind(C::Global, &[code(K::Tab)], "Tab", "next pane", Action::FocusNext, true),
    bind(C::Global, &[code(K::BackTab)], "Shift-Tab", "previous pane", Action::FocusPrev, false),
    bind(C::Global, &[key('1')], "1", "focus Databases", Action::Focus(Pane::Databases), false),
    bind(C::Global, &[key('2')], "2", "focus Records", Action::Focus(Pane::Records), false),
    bind(C::Global, &[key('3')], "3", "focus Cache", Action::Focus(Pane::Cache), false),
    bind(C::Global, &[key('4')], "4", "focus Timing", Action::Focus(Pane::Timing), false),
    bind(C::Global, &[key('z')], "z", "zoom the focused pane", Action::ToggleZoom, false),
    // What STALE says to do works wherever it is read.
    bind(C::Global, &[key('r')], "r", "reload the archive (rebuilds a stale cache, retries a failed load)", Action::Reload, false),
    bind(C::Global, &[key('c')], "c", "rebuild the cache now", Action::Cold, false),
    bind(C::Global, &[key('D')], "D", "what changed (stale cache)", Action::ShowDiff, false),
    bind(C::Panes, &[key('j'), code(K::Down)], "j/↓", "down", Action::Down, false),
    bind(C::Panes, &[key('k'), code(K::Up)], "k/↑", "up", Action::Up, false),
    bind(C::Panes, &[code(K::PageDown), ctrl('d')], "PgDn", "page down", Action::PageDown, false),
    bind(C::Panes, &[code(K::PageUp), ctrl('u')], "PgUp", "page up", Action::PageUp, false),
    bind(C::Panes, &[key('g'), code(K::Home)], "g/Home", "first line", Action::Top, false),
    bind(C::Panes, &[key('G'), code(K::End)], "G/End", "last line", Action::Bottom, false),
    bind(C::Databases, &[key('/')], "/", "filter databases", Action::StartInput, true),
    bind(C::Databases, &[code(K::Enter)], "Enter", "browse its records", Action::Enter, true),
    bind(C::Databases, &[code(K::Esc)], "Esc", "clear the filter", Action::ClearFilter, false),
    bind(C::Records, &[code(K::Enter)], "Enter", "open the record", Action::Enter, true),
    bind(C::Records, &[key('/')], "/", "find", Action::StartInput, true),
    bind(C::Records, &[key('&')], "&", "filter rows", Action::StartFilter, true),
    bind(C::Records, &[key('n')], "n", "next hit", Action::NextHit, true),
    bind(C::Records, &[key('N')], "N", "previous hit", Action::PrevHit, false),
    bind(C::Records, &[key('s')], "s", "search this database / all", Action::ToggleScope, false),
    bind(C::Records, &[code(K::Esc)], "Esc", "clear the search", Action::ClearFilter, false),
    bind(C::Records, &[key('h'), code(K::Left)], "h/←", "column left", Action::Left, false),
    bind(C::Records, &[key('l'), code(K::Right)], "l/→", "column right", Action::Right, false),
    bind(C::Records, &[key('y')], "y", "copy record as JSON", Action::Copy, true),
    bind(C::Records, &[key('w')], "w", "wrap long cells / cut them", Action::ToggleWrap, false),
    bind(C::Records, &[key('Y')], "Y", "copy the focused cell", Action::CopyCell, false),
    bind(C::Records, &[key('[')], "[", "sort by this column ascending (again: off)", Action::SortAscending, false),
    bind(C::Records, &[key(']')], "]", "sort by this column descending (again: off)", Action::SortDescending, false),
    bind(C::Records, &[key(':')], ":N", "go to row N (or NG)", Action::StartJump, false),
    bind(C::Records, &[key('F')], "F", "frequency table of this column", Action::Frequency, false),
    bind(C::Records, &[key('I')], "I", "statistics of this column", Action::Stats, false),
    bind(C::Cache, &[key('v')], "v", "verify cache against archive", Action::Verify, true),
    bind(C::Cache, &[key('d')], "d", "delete selected old cache file", Action::DeleteOther, true),
    bind(C::Cache, &[key('s')], "s", "re-read the status now", Action::RefreshStatus, false),
    bind(C::Timing, &[key('c')], "c", "cold load (rebuild)", Action::Cold, true),
    bind(C::Timing, &[key('w')], "w", "warm load (from cache)", Action::Warm, true),
    bind(C::Timing, &[key('b')], "b", "benchmark series", Action::Bench, true),
    bind(C::Timing, &[key('+'), key('=')], "+", "more runs per series", Action::MoreRuns, false),
    bind(C::Timing, &[key('-')], "-", "fewer runs per series", Action::FewerRuns, false),
    bind(C::Timing, &[code(K::Esc)], "Esc", "cancel the series", Action::Cancel, false),
    bind(C::Timing, &[key('x')], "x", "delete the cache (asks)", Action::Invalidate, true),
    bind(C::Timing, &[key('e')], "e", "export series as JSON", Action::Export, false),
    bind(C::Input, &[code(K::Enter)], "Enter", "keep the filter", Action::AcceptInput, true),
    bind(C::Input, &[code(K::Esc)], "Esc", "clear the filter", Action::CancelInput, true),
    bind(C::Input, &[code(K::Backspace)], "Bksp", "delete a character", Action::Backspace, false),
    bind(C::Input, &[ctrl('u')], "Ctrl-U", "empty the text", Action::ClearInput, false),
    bind(C::Input, &[ctrl('t'), code(K::Tab)], "Tab", "this database / all", Action::ToggleScope, true),
    bind(C::Input, &[ctrl('r')], "Ctrl-R", "substring / regex / fuzzy", Action::CycleMode, true),
    bind(C::Input, &[code(K::Down), ctrl('n')], "↓", "next result", Action::Down, false),
    bind(C::Input, &[code(K::Up), ctrl('p')], "↑", "previous result", Action::Up, false),
    bind(C::Prompt, &[code(K::Enter)], "Enter", "go to the row / write the file", Action::AcceptInput, true),
    bind(C::Prompt, &[code(K::Esc)], "Esc", "cancel", Action::CancelInput, true),
    bind(C::Prompt, &[code(K::Backspace)], "Bksp", "delete a character", Action::Backspace, false),
    bind(C::Prompt, &[ctrl('u')], "Ctrl-U", "empty the text", Action::ClearInput, false),
    bind(C::Detail, &[key('j'), code(K::Down)], "j/↓", "scroll down", Action::Down, false),
    bind(C::Detail, &[key('k'), code(K::Up)], "k/↑", "scroll up", Action::Up, false),
    bind(C::Detail, &[code(K::PageDown), ctrl('d')], "PgDn", "page down", Action::PageDown, false),
    bind(C::Detail, &[code(K::PageUp), ctrl('u')], "PgUp", "page up", Action::PageUp, false),
    bind(C::Detail, &[key('g'), code(K::Home)], "g/Home", "top", Action::Top, false),
    bind(C::Detail, &[key('G'), code(K::End)], "G/End", "end", Action::Bottom, false),
    bind(C::Detail, &[key('y')], "y", "copy as JSON", Action::Copy, true),
    bind(C::Detail, &[key('n')], "n", "next record", Action::NextHit, true),
    bind(C::Detail, &[key('N')], "N", "previous record", Action::PrevHit, false),
    bind(C::Detail, &[code(K::Esc), key('q'), code(K::Enter)], "Esc/q", "close", Action::Close, true),
    bind(C::Diff, &[key('j'), code(K::Down)], "j/↓", "scroll down", Action::Down, false),
    bind(C::Diff, &[key('k'), code(K::Up)], "k/↑", "scroll up", Action::Up, false),
    bind(C::Diff, &[code(K::PageDown), ctrl('d')], "PgDn", "page down", Action::PageDown, false),
    bind(C::Diff, &[code(K::PageUp), ctrl('u')], "PgUp", "page up", Action::PageUp, false),
    bind(C::Diff, &[key('g'), code(K::Home)], "g/Home", "top", Action::Top, false),
    bind(C::Diff, &[key('G'), code(K::End)], "G/End", "end", Action::Bottom, false),
    bind(C::Diff, &[key('r')], "r", "reload the archive", Action::Reload, true),
    bind(C::Diff, &[key('c')], "c", "rebuild the cache now", Action::Cold, true),
    bind(C::Diff, &[code(K::Esc), key('q')], "Esc/q", "close", Action::Close, true),
    bind(C::Insight, &[key('j'), code(K::Down)], "j/↓", "next value", Action::Down, false),
    bind(C::Insight, &[key('k'), code(K::Up)], "k/↑", "previous value", Action::Up, false),
    bind(C::Insight, &[code(K::PageDown), ctrl('d')], "PgDn", "page down", Action::PageDown, false),
    bind(C::Insight, &[code(K::PageUp), ctrl('u')], "PgUp", "page up", Action::PageUp, false),
    bind(C::Insight, &[key('g'), code(K::Home)], "g/Home", "first value", Action::Top, false),
    bind(C::Insight, &[key('G'), code(K::End)], "G/End", "last value", Action::Bottom, false),
    bind(C::Insight, &[code(K::Enter)], "Enter", "filter the records to this value", Action::FilterValue, true),
    bind(C::Insight, &[code(K::Esc), key('q')], "Esc/q", "close", Action::Close, true),
    bind(C::Help, &[key('j'), code(K::Down)], "j/↓", "scroll down", Action::Down, false),
    bind(C::Help, &[key('k'), code(K::Up)], "k/↑", "scroll up", Action::Up, false),
    bind(C::Help, &[code(K::PageDown), ctrl('d')], "PgDn", "page down", Action::PageDown, false),
    bind(C::Help, &[code(K::PageUp), ctrl('u')], "PgUp", "page up", Action::PageUp, false),
    bind(C::Help, &[key('g'), code(K::Home)], "g/Home", "top", Action::Top, false),
    bind(C::Help, &[key('G'), code(K::End)], "G/End", "end", Action::Bottom, false),
    bind(C::Help, &[code(K::Esc), key('q'), key('?')], "Esc/q", "close", Action::Close, true),
    bind(C::Confirm, &[key('y'), code(K::Enter)], "y", "yes", Action::Confirm, true),
    bind(C::Confirm, &[key('n'), code(K::Esc), key('q')], "n/Esc", "no", Action::Deny, true),
];

impl App {
    /// The contexts whose bindings are live now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match &self.screen.overlay {
            Overlay::Confirm(_) => return vec![C::Confirm],
            Overlay::Help { .. } => return vec![C::Help],
            Overlay::Detail { .. } => return vec![C::Detail],
            Overlay::Diff { .. } => return vec![C::Diff],
            Overlay::Insight => return vec![C::Insight],
            Overlay::None => {}
        }
        if self.editing() {
            let prompt = match self.screen.focus {
                Pane::Records => self.records.jump.is_some(),
                Pane::Timing => true,
                Pane::Databases | Pane::Cache => false,
            };
            return vec![if prompt { C::Prompt } else { C::Input }];
        }
        let pane = match self.screen.focus {
            Pane::Databases => C::Databases,
            Pane::Records => C::Records,
            Pane::Cache => C::Cache,
            Pane::Timing => C::Timing,
        };
        vec![pane, C::Panes, C::Global]
    }
}

/// The action a key press stands for now, if any.
pub fn action_for(app: &App, event: KeyEvent) -> Option<Action> {
    let control = event.modifiers.contains(KeyModifiers::CONTROL);
    let pressed = Key {
        code: event.code,
        ctrl: control,
    };
    if pressed == ctrl('c') {
        return Some(Action::Quit);
    }
    if !control && let Some(count) = count_digit(app, event.code) {
        return Some(count);
    }
    let contexts = app.contexts();
    for context in &contexts {
        let found = BINDINGS
            .iter()
            .find(|b| b.context == *context && b.keys.contains(&pressed));
        if let Some(binding) = found {
            return Some(binding.action.clone());
        }
    }
    match event.code {
        KeyCode::Char(c) if matches!(contexts[..], [C::Input | C::Prompt]) && !control => {
            Some(Action::Input(c))
        }
        _ => None,
    }
}

/// Digits in the Records pane count rows for `G` (`12G`); a lone 1-4 still focuses its pane.
fn count_digit(app: &App, code: KeyCode) -> Option<Action> {
    match code {
        KeyCode::Char(c @ '0'..='9')
            if app.contexts().first() == Some(&C::Records)
                && (c != '0' || app.records.typed_count.is_some()) =>
        {
            Some(Action::Count(c))
        }
        _ => None,
    }
}

/// The footer's hints for what is live now.
pub fn hints(app: &App) -> Vec<(&'static str, &'static str)> {
    let contexts = app.contexts();
    // The database filter has no scope to toggle: only a search does.
    let scoped = app.screen.focus == Pane::Records;
    contexts
        .iter()
        .flat_map(|c| BINDINGS.iter().filter(move |b| b.context == *c && b.hint))
        .filter(|b| scoped || !matches!(b.action, Action::ToggleScope | Action::CycleMode))
        .map(|b| (b.label, b.help))
        .collect()
}

/// Every binding by context, for the help overlay.
pub fn help_sections() -> Vec<(&'static str, Vec<&'static Binding>)> {
    Context::ALL
        .iter()
        .map(|c| {
            let rows: Vec<&Binding> = BINDINGS.iter().filter(|b| b.context == *c).collect();
            (c.title(), rows)
        })
        .collect()
}

/// Every key a binding accepts, written out (for help: `j`, `↓`).
pub fn describe(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        other => format!("{other:?}"),
    };
    if key.ctrl {
        format!("Ctrl-{}", base.to_uppercase())
    } else {
        base
    }
}

/// Every binding as a Markdown list, by context: the README's list of keys is this text.
pub fn markdown() -> String {
    let mut out = String::new();
    for (title, bindings) in help_sections() {
        if bindings.is_empty() {
            continue;
        }
        out.push_str(&format!("- **{title}**: "));
        let items: Vec<String> = bindings
            .iter()
            .map(|b| {
                let keys: Vec<String> = b
                    .keys
                    .iter()
                    .map(|k| format!("`{}`", describe(k)))
                    .collect();
                format!("{} {}", keys.join("/"), b.help)
            })
            .collect();
        out.push_str(&items.join("; "));
        out.push('\n');
    }
    out
}
