//! What a query's text says: the mode it is read in, an optional `column:` scope, and the pattern.
//!
//! The text before the first colon names a column when it is not empty: `description:teal` looks for
//! `teal` in the `description` column only, and any later colon is part of the pattern
//! (`url:http://x`). `\:` is a colon that scopes nothing, in the column name and in the pattern alike
//! (`http\://x` looks for `http://x` everywhere); a backslash before anything else is itself. A column is
//! matched by its exact name, else by its name ignoring ASCII case; none of that name in the databases
//! searched is an error naming the known columns.

use std::fmt;
use std::str::FromStr;

/// How the pattern is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Mode {
    /// The pattern as a substring; smart case (see [`crate::search`]).
    #[default]
    Substring,
    /// A regular expression (the `regex` crate's syntax); smart case through its case-insensitive flag.
    Regex,
    /// The pattern's characters in order, close together (skim scoring, accents ignored).
    Fuzzy,
}

impl Mode {
    /// Every mode, in the order the prompt cycles through them.
    pub const ALL: [Mode; 3] = [Mode::Substring, Mode::Regex, Mode::Fuzzy];

    /// The word for the mode, as the command line takes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Substring => "substring",
            Mode::Regex => "regex",
            Mode::Fuzzy => "fuzzy",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| QueryError::UnknownMode(s.to_string()))
    }
}

/// Why a query cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The pattern is not a valid regex.
    #[error("invalid regex {pattern:?}: {message}")]
    InvalidRegex {
        /// The pattern as given.
        pattern: String,
        /// What the regex crate said.
        message: String,
    },
    /// No column of that name in the database searched.
    #[error("unknown column {column:?} (known: {})", known.join(", "))]
    UnknownColumn {
        /// The column asked for.
        column: String,
        /// The columns there are.
        known: Vec<String>,
    },
    /// The mode is not substring, regex or fuzzy.
    #[error("unknown search mode {0:?} (known: substring, regex, fuzzy)")]
    UnknownMode(String),
}

/// A query's text taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    pub(crate) column: Option<String>,
    pub(crate) pattern: String,
}

/// Splits `column:pattern`, turning every `\:` into a plain colon.
pub(crate) fn split(text: &str) -> Parts {
    let mut column = None;
    let mut current = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&':') => {
                chars.next();
                current.push(':');
            }
            ':' if column.is_none() && !current.is_empty() => {
                column = Some(std::mem::take(&mut current));
            }
            c => current.push(c),
        }
    }
    Parts {
        column,
        pattern: current,
    }
}

/// The position of a column by name in a header: exact first, else ignoring ASCII case.
pub(crate) fn column_position(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(column: Option<&str>, pattern: &str) -> Parts {
        Parts {
            column: column.map(str::to_string),
            pattern: pattern.to_string(),
        }
    }

    #[test]
    fn the_first_colon_scopes_and_an_escaped_one_does_not() {
        assert_eq!(split("teal"), parts(None, "teal"));
        assert_eq!(split("hex:#00"), parts(Some("hex"), "#00"));
        assert_eq!(split("url:http://x"), parts(Some("url"), "http://x"));
        assert_eq!(split(r"http\://x"), parts(None, "http://x"));
        assert_eq!(split(r"a\:b:c"), parts(Some("a:b"), "c"));
        assert_eq!(split(":)"), parts(None, ":)"));
        assert_eq!(split("name:"), parts(Some("name"), ""));
        assert_eq!(split(r"C:\dir"), parts(Some("C"), r"\dir"));
        assert_eq!(split(r"a\\:b"), parts(None, r"a\:b"));
    }

    #[test]
    fn columns_match_exactly_then_ignoring_ascii_case() {
        let columns: Vec<String> = ["key", "Name", "name"].map(String::from).to_vec();
        assert_eq!(column_position(&columns, "name"), Some(2));
        assert_eq!(column_position(&columns, "NAME"), Some(1));
        assert_eq!(column_position(&columns, "nom"), None);
    }

    #[test]
    fn modes_read_back_from_their_names() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
        }
        assert!("glob".parse::<Mode>().is_err());
    }
}
