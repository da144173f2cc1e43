//! Regular expressions (the `regex` crate) with smart case, matched per field.
//!
//! Smart case looks at the pattern's literal characters only, as ripgrep does: `\D` or `\p{Lu}` hold an
//! upper-case letter but no upper-case literal, so they leave the search case-insensitive; `Teal` does
//! not. Case-insensitive here is the regex crate's: Unicode simple case folding, so `σ`, `ς` and `Σ` are
//! one letter, `k` matches the Kelvin sign, and `ß` never matches `ss`.
//!
//! A pattern without anchors or word boundaries (no look-around) that cannot match the empty string is
//! run once over the whole arena: whatever such a pattern matches in a field it matches there too, so
//! the first occurrence that lies inside a field is that field's first match. Other patterns are run
//! field by field.

use std::ops::Range;

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::ast::{self, Ast};

use super::QueryError;
use super::scan::Prefilter;

/// Compiled programs are capped, so a pathological pattern is an error rather than a memory hog.
const SIZE_LIMIT: usize = 64 << 20;

#[derive(Clone)]
pub(crate) struct Pattern {
    regex: Regex,
    /// Whether a match found in the arena can be trusted for the field it lies in.
    arena_safe: bool,
}

impl Pattern {
    pub(crate) fn new(pattern: &str) -> Result<Self, QueryError> {
        let invalid = |message: String| QueryError::InvalidRegex {
            pattern: pattern.to_string(),
            message,
        };
        let insensitive = !has_upper_case_literal(pattern).map_err(invalid)?;
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| invalid(one_line(&e.to_string())))?;
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(insensitive)
            .build()
            .parse(pattern)
            .map_err(|e| invalid(one_line(&e.to_string())))?;
        let properties = hir.properties();
        let arena_safe =
            properties.look_set().is_empty() && properties.minimum_len().is_some_and(|n| n > 0);
        Ok(Pattern { regex, arena_safe })
    }

    pub(crate) fn arena_safe(&self) -> bool {
        self.arena_safe
    }

    pub(crate) fn find(&self, field: &str) -> Option<Range<usize>> {
        self.regex.find(field.as_bytes()).map(|m| m.range())
    }

    pub(crate) fn find_all(&self, field: &str) -> Vec<Range<usize>> {
        self.regex
            .find_iter(field.as_bytes())
            .map(|m| m.range())
            .collect()
    }
}

impl Prefilter for &Pattern {
    fn next(&self, hay: &[u8], from: usize) -> Option<(Range<usize>, bool)> {
        self.regex.find_at(hay, from).map(|m| (m.range(), true))
    }
}

/// Whether the pattern has an upper-case literal character (escapes and classes do not count).
pub(crate) fn has_upper_case_literal(pattern: &str) -> Result<bool, String> {
    let ast = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| one_line(&e.to_string()))?;
    Ok(ast::visit(&ast, UpperLiteral).unwrap_or(true))
}

struct UpperLiteral;

impl ast::Visitor for UpperLiteral {
    type Output = bool;
    type Err = ();

    fn finish(self) -> Result<bool, ()> {
        Ok(false)
    }

    /// Stops at the first upper-case literal, reported as an "error" so the walk ends there.
    fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
        match ast {
            Ast::Literal(l) if l.c.is_uppercase() => Err(()),
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(&mut self, item: &ast::ClassSetItem) -> Result<(), ()> {
        match item {
            ast::ClassSetItem::Literal(l) if l.c.is_uppercase() => Err(()),
            ast::ClassSetItem::Range(r) if r.start.c.is_uppercase() || r.end.c.is_uppercase() => {
                Err(())
            }
            _ => Ok(()),
        }
    }
}

/// The regex crate's messages draw the pattern and a caret over several lines; keep the reason only.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().map(str::trim).collect();
    lines
        .iter()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || lines.join(" "),
            |l| l.trim_start_matches("error:").trim().to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upper_case_literals_make_a_pattern_exact() {
        for (pattern, upper) in [
            ("teal", false),
            ("Teal", true),
            (r"\D+", false),
            (r"\p{Lu}", false),
            ("[A-Z]", true),
            ("[a-z]x", false),
            (r"\x41", true),
        ] {
            assert_eq!(has_upper_case_literal(pattern), Ok(upper), "{pattern}");
        }
        let p = Pattern::new("te+al").unwrap();
        assert_eq!(p.find("Dark TEEAL"), Some(5..10));
        assert_eq!(Pattern::new("Teal").unwrap().find("TEAL"), None);
        assert_eq!(Pattern::new("σ").unwrap().find("ΟΔΟΣ"), Some(6..8));
    }

    #[test]
    fn an_invalid_regex_is_one_line_naming_the_problem() {
        let Err(QueryError::InvalidRegex { message, .. }) = Pattern::new("(teal") else {
            panic!("(teal is not a regex");
        };
        assert_eq!(message, "unclosed group");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn anchored_or_empty_matching_patterns_run_field_by_field() {
        assert!(Pattern::new("teal").unwrap().arena_safe());
        assert!(!Pattern::new("^teal").unwrap().arena_safe());
        assert!(!Pattern::new(r"\bteal").unwrap().arena_safe());
        assert!(!Pattern::new("a*").unwrap().arena_safe());
    }
}
