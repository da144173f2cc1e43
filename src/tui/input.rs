//! Terminal input read as raw bytes and decoded here, so that no byte sequence can hold the keyboard.
//!
//! crossterm's reader waits for the closing byte of an escape sequence however long it takes: after
//! `ESC [ ?`, `ESC [ <` or `ESC [ 2 0 0 ~` (a paste that never ends) it swallowed `q` and Ctrl-C until one
//! came, and the user was stuck. Here an unfinished sequence is dropped once no byte has followed it for
//! [`SEQUENCE_TIMEOUT`] (as vim's `ttimeoutlen` does), a control byte such as Ctrl-C ends any sequence and
//! counts as itself (as terminals themselves execute C0 controls inside a sequence), and a paste has no
//! special state. The decoder yields crossterm's own event types, so the keymap is unchanged.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use anyhow::Context as _;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::worker;

/// How long an unfinished escape sequence waits for its next byte. A terminal writes a whole sequence at
/// once; 50 ms also covers a slow link splitting one, and is far below what a person notices.
pub const SEQUENCE_TIMEOUT: Duration = Duration::from_millis(50);
/// How often the size is checked and the stop flag read when no input comes.
const IDLE: Duration = Duration::from_millis(100);
/// Longer than any sequence a terminal sends for a key or a mouse event.
const MAX_SEQUENCE: usize = 64;

/// Starts the threads that read the terminal and send its events into the loop's channel: one blocks in
/// `read`, the other decodes and times out unfinished sequences. They end with the loop.
pub fn spawn(tx: Sender<worker::Event>, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let mut source: Box<dyn Read + Send> = if std::io::stdin().is_terminal() {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open("/dev/tty").context("opening /dev/tty for keyboard input")?)
    };
    let (bytes_tx, bytes_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("input-read".into())
        .spawn(move || {
            let mut buf = [0u8; 1024];
            loop {
                match source.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if bytes_tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the terminal failed");
                        return;
                    }
                }
            }
        })
        .context("starting the input thread")?;
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            let mut decoder = Decoder::default();
            let mut size = ratatui::crossterm::terminal::size().ok();
            let send = |event: Event| tx.send(worker::Event::Input(event)).is_ok();
            while !stop.load(Ordering::Relaxed) {
                let wait = if decoder.pending() {
                    SEQUENCE_TIMEOUT
                } else {
                    IDLE
                };
                let events = match bytes_rx.recv_timeout(wait) {
                    Ok(bytes) => decoder.feed(&bytes),
                    Err(RecvTimeoutError::Timeout) => decoder.flush(),
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                // Resizes arrive as a signal, not as bytes: the size is read instead, at most 100 ms late.
                let now = ratatui::crossterm::terminal::size().ok();
                if now != size {
                    size = now;
                    if let Some((w, h)) = now
                        && !send(Event::Resize(w, h))
                    {
                        return;
                    }
                }
                for event in events {
                    if !send(event) {
                        return;
                    }
                }
            }
        })
        .context("starting the input thread")?;
    Ok(())
}

/// Bytes in, events out. Pure, so every sequence is tested without a terminal.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

enum Parsed {
    /// An event, and how many bytes it took.
    Event(Event, usize),
    /// Bytes that mean nothing to the inspector (a report, an unknown or broken sequence).
    Skip(usize),
    /// The bytes so far begin a sequence; wait for more (or the timeout).
    Incomplete,
}

impl Decoder {
    /// Whether bytes wait for the rest of their sequence.
    pub fn pending(&self) -> bool {
        !self.buffer.is_empty()
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut at = 0;
        while at < self.buffer.len() {
            match parse(&self.buffer[at..]) {
                Parsed::Event(event, used) => {
                    events.push(event);
                    at += used;
                }
                Parsed::Skip(used) => at += used.max(1),
                Parsed::Incomplete => break,
            }
        }
        self.buffer.drain(..at);
        events
    }

    /// No byte came for a while: a lone ESC is the Escape key, anything else unfinished is dropped.
    pub fn flush(&mut self) -> Vec<Event> {
        let lone_escape = self.buffer == [0x1b];
        self.buffer.clear();
        if lone_escape {
            vec![key(KeyCode::Esc, KeyModifiers::NONE)]
        } else {
            Vec::new()
        }
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn parse(buf: &[u8]) -> Parsed {
    match buf[0] {
        0x1b => escape(buf),
        0x00..=0x1f | 0x7f => Parsed::Event(control(buf[0]), 1),
        _ => match char_at(buf) {
            Some(Ok((c, used))) => Parsed::Event(key(KeyCode::Char(c), KeyModifiers::NONE), used),
            Some(Err(used)) => Parsed::Skip(used),
            None => Parsed::Incomplete,
        },
    }
}

/// A control byte as the key that sends it.
fn control(b: u8) -> Event {
    let ctrl = KeyModifiers::CONTROL;
    match b {
        b'\r' | b'\n' => key(KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => key(KeyCode::Tab, KeyModifiers::NONE),
        0x08 | 0x7f => key(KeyCode::Backspace, KeyModifiers::NONE),
        0x1b => key(KeyCode::Esc, KeyModifiers::NONE),
        0x00 => key(KeyCode::Char(' '), ctrl),
        0x01..=0x1a => key(KeyCode::Char(char::from(b - 1 + b'a')), ctrl),
        _ => key(KeyCode::Char(char::from(b - 0x1c + b'4')), ctrl),
    }
}

/// One UTF-8 character at the start: `None` when its bytes have not all come, `Err` for a bad byte.
fn char_at(buf: &[u8]) -> Option<Result<(char, usize), usize>> {
    let len = match buf[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Some(Err(1)),
    };
    if let Some(bad) = buf.iter().take(len).skip(1).position(|b| b & 0xc0 != 0x80) {
        return Some(Err(bad + 1));
    }
    if buf.len() < len {
        return None;
    }
    match std::str::from_utf8(&buf[..len]) {
        Ok(s) => s.chars().next().map(|c| Ok((c, len))),
        Err(_) => Some(Err(len)),
    }
}

fn escape(buf: &[u8]) -> Parsed {
    let Some(&next) = buf.get(1) else {
        return Parsed::Incomplete;
    };
    match next {
        b'[' => csi(buf),
        b'O' => match buf.get(2) {
            None => Parsed::Incomplete,
            Some(&b) => match ss3(b) {
                Some(code) => Parsed::Event(key(code, KeyModifiers::NONE), 3),
                // A control byte ends it unfinished and is read afresh; anything else is unknown.
                None if b < 0x20 || b == 0x7f => Parsed::Skip(2),
                None => Parsed::Skip(3),
            },
        },
        // A control byte (Ctrl-C, another ESC) after ESC: Escape, then the control as itself.
        0x00..=0x1f | 0x7f => Parsed::Event(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        _ => match char_at(&buf[1..]) {
            Some(Ok((c, used))) => {
                Parsed::Event(key(KeyCode::Char(c), KeyModifiers::ALT), 1 + used)
            }
            Some(Err(_)) => Parsed::Event(key(KeyCode::Esc, KeyModifiers::NONE), 1),
            None => Parsed::Incomplete,
        },
    }
}

fn ss3(b: u8) -> Option<KeyCode> {
    Some(match b {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P'..=b'S' => KeyCode::F(b - b'P' + 1),
        _ => return None,
    })
}

/// `ESC [` parameters, intermediates and a final byte (ECMA-48). Anything else inside ends the sequence
/// unfinished: it is dropped and the byte is read afresh, so Ctrl-C and ESC always get through.
fn csi(buf: &[u8]) -> Parsed {
    for (i, &b) in buf.iter().enumerate().skip(2) {
        match b {
            0x20..=0x3f => {
                if i >= MAX_SEQUENCE {
                    // No terminal sends this: drop it and the rest of its parameters.
                    let rest = buf[i..].iter().take_while(|b| (0x20..=0x3f).contains(*b));
                    return Parsed::Skip(i + rest.count());
                }
            }
            0x40..=0x7e => {
                let params = &buf[2..i];
                if b == b'M' && params.is_empty() {
                    return x10_mouse(buf, i + 1);
                }
                return match csi_event(params, b) {
                    Some(event) => Parsed::Event(event, i + 1),
                    None => Parsed::Skip(i + 1),
                };
            }
            _ => return Parsed::Skip(i),
        }
    }
    Parsed::Incomplete
}

fn csi_event(params: &[u8], last: u8) -> Option<Event> {
    let text = std::str::from_utf8(params).ok()?;
    if let Some(sgr) = text.strip_prefix('<') {
        return sgr_mouse(sgr, last == b'm');
    }
    let numbers: Vec<u16> = text
        .split(';')
        .map(|p| {
            if p.is_empty() {
                Some(1)
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let first = numbers.first().copied().unwrap_or(1);
    let modifiers = modifiers(numbers.get(1).copied().unwrap_or(1));
    let code = match last {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => return Some(key(KeyCode::BackTab, KeyModifiers::SHIFT)),
        b'P'..=b'S' => KeyCode::F(last - b'P' + 1),
        b'~' => match first {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            11..=15 => KeyCode::F((first - 10) as u8),
            17..=21 => KeyCode::F((first - 11) as u8),
            23 | 24 => KeyCode::F((first - 12) as u8),
            _ => return None,
        },
        _ => return None,
    };
    Some(key(code, modifiers))
}

/// xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4).
fn modifiers(param: u16) -> KeyModifiers {
    let bits = param.saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    if bits & 1 != 0 {
        m |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        m |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        m |= KeyModifiers::CONTROL;
    }
    m
}

fn mouse(button: u16, x: u16, y: u16, release: bool) -> Option<Event> {
    let pressed = match button & 0b11 {
        0 => MouseButton::Left,
        1 => MouseButton::Middle,
        _ => MouseButton::Right,
    };
    let kind = if button & 64 != 0 {
        match button & 0b11 {
            0 => MouseEventKind::ScrollUp,
            1 => MouseEventKind::ScrollDown,
            2 => MouseEventKind::ScrollLeft,
            _ => MouseEventKind::ScrollRight,
        }
    } else if button & 32 != 0 {
        if button & 0b11 == 3 {
            MouseEventKind::Moved
        } else {
            MouseEventKind::Drag(pressed)
        }
    } else if release || button & 0b11 == 3 {
        MouseEventKind::Up(pressed)
    } else {
        MouseEventKind::Down(pressed)
    };
    let mut modifiers = KeyModifiers::NONE;
    if button & 4 != 0 {
        modifiers |= KeyModifiers::SHIFT;
    }
    if button & 8 != 0 {
        modifiers |= KeyModifiers::ALT;
    }
    if button & 16 != 0 {
        modifiers |= KeyModifiers::CONTROL;
    }
    Some(Event::Mouse(MouseEvent {
        kind,
        column: x.checked_sub(1)?,
        row: y.checked_sub(1)?,
        modifiers,
    }))
}

/// `ESC [ < button ; x ; y M` (press) or `m` (release).
fn sgr_mouse(params: &str, release: bool) -> Option<Event> {
    let mut parts = params.split(';').map(|p| p.parse::<u16>().ok());
    let (b, x, y) = (parts.next()??, parts.next()??, parts.next()??);
    mouse(b, x, y, release)
}

/// `ESC [ M` and three bytes, each a value plus 32: the mouse protocol older terminals fall back to.
fn x10_mouse(buf: &[u8], at: usize) -> Parsed {
    let Some(bytes) = buf.get(at..at + 3) else {
        return Parsed::Incomplete;
    };
    let value = |b: u8| u16::from(b).saturating_sub(32);
    match mouse(value(bytes[0]), value(bytes[1]), value(bytes[2]), false) {
        Some(event) => Parsed::Event(event, at + 3),
        None => Parsed::Skip(at + 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(events: &[Event]) -> Vec<(KeyCode, KeyModifiers)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Key(k) => Some((k.code, k.modifiers)),
                _ => None,
            })
            .collect()
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn plain_keys_arrows_and_controls() {
        let mut d = Decoder::default();
        let events = d.feed(b"q\x1b[A\x1bOB\x1b[5~\x1b[Z\x03\r\t\x7f");
        assert_eq!(
            keys(&events),
            vec![
                (KeyCode::Char('q'), NONE),
                (KeyCode::Up, NONE),
                (KeyCode::Down, NONE),
                (KeyCode::PageUp, NONE),
                (KeyCode::BackTab, KeyModifiers::SHIFT),
                (KeyCode::Char('c'), KeyModifiers::CONTROL),
                (KeyCode::Enter, NONE),
                (KeyCode::Tab, NONE),
                (KeyCode::Backspace, NONE),
            ]
        );
        assert!(!d.pending());
        let events = d.feed(b"\x1b[1;5C");
        assert_eq!(keys(&events), vec![(KeyCode::Right, KeyModifiers::CONTROL)]);
    }

    #[test]
    fn utf8_split_across_reads() {
        let mut d = Decoder::default();
        let bytes = "東".as_bytes();
        assert!(d.feed(&bytes[..1]).is_empty());
        assert!(d.pending());
        assert_eq!(
            keys(&d.feed(&bytes[1..])),
            vec![(KeyCode::Char('東'), NONE)]
        );
        assert_eq!(keys(&d.feed(b"\xff")), vec![]);
        assert!(!d.pending());
    }

    #[test]
    fn a_lone_escape_is_the_escape_key_after_the_timeout() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b").is_empty());
        assert_eq!(keys(&d.flush()), vec![(KeyCode::Esc, NONE)]);
        assert_eq!(
            keys(&d.feed(b"\x1bx")),
            vec![(KeyCode::Char('x'), KeyModifiers::ALT)]
        );
    }

    #[test]
    fn unfinished_sequences_never_hold_q_or_ctrl_c() {
        for start in [
            &b"\x1b[?"[..],
            b"\x1b[<",
            b"\x1b[200~",
            b"\x1b[",
            b"\x1bO",
            b"\x1b[1;",
        ] {
            let mut d = Decoder::default();
            d.feed(start);
            // The timeout passes with nothing more: the sequence is dropped and q is a key again.
            d.flush();
            assert_eq!(
                keys(&d.feed(b"q")),
                vec![(KeyCode::Char('q'), NONE)],
                "{start:?}"
            );
            // Ctrl-C inside a sequence gets through at once, without a timeout.
            let mut d = Decoder::default();
            d.feed(start);
            assert_eq!(
                keys(&d.feed(b"\x03")),
                vec![(KeyCode::Char('c'), KeyModifiers::CONTROL)],
                "{start:?}"
            );
        }
        // A sequence that never ends is cut at its longest.
        let mut d = Decoder::default();
        let mut long = b"\x1b[".to_vec();
        long.extend(std::iter::repeat_n(b'1', 200));
        long.push(b'q');
        assert_eq!(keys(&d.feed(&long)), vec![(KeyCode::Char('q'), NONE)]);
    }

    #[test]
    fn mouse_reports() {
        let mut d = Decoder::default();
        let events = d.feed(b"\x1b[<0;10;5M\x1b[<65;3;4M\x1b[M !!");
        let want = [
            (MouseEventKind::Down(MouseButton::Left), 9, 4),
            (MouseEventKind::ScrollDown, 2, 3),
            (MouseEventKind::Down(MouseButton::Left), 0, 0),
        ];
        assert_eq!(events.len(), want.len());
        for (event, (kind, column, row)) in events.iter().zip(want) {
            let Event::Mouse(m) = event else {
                panic!("{event:?}")
            };
            assert_eq!((m.kind, m.column, m.row), (kind, column, row));
        }
    }
}
