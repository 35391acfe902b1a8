//! Text measurement, cleaning and wrapping in terminal cells.
//!
//! Everything here works on grapheme clusters and measures them exactly the way
//! ratatui's buffer does ([`CellWidth`]), so a line we wrap to N cells is drawn in N
//! cells: emoji, CJK and combining marks never push the layout out of line.

use ratatui::buffer::CellWidth;
use unicode_segmentation::UnicodeSegmentation;

/// The width in cells of one grapheme cluster, as ratatui will draw it.
pub fn grapheme_width(grapheme: &str) -> usize {
    if grapheme.contains(char::is_control) {
        // ratatui drops control characters; `clean` already replaced them.
        return 0;
    }
    usize::from(grapheme.cell_width())
}

/// The width in cells of a string.
pub fn width(text: &str) -> usize {
    text.graphemes(true).map(grapheme_width).sum()
}

/// Makes text from the network safe to draw: other users choose it, and an escape
/// sequence written to the terminal could move the cursor, retitle the window or worse.
/// Tabs become spaces, newlines are kept (`keep_newlines`) or become spaces, every other
/// control character becomes U+FFFD.
pub fn clean(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' | '\r' => out.push(' '),
            '\t' => out.push_str("    "),
            // Bidirectional overrides can make a line display in a misleading order.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Pasted text for the draft: line endings unified to `\n`, tabs kept (they are part of
/// what is sent; the input draws them as spaces), other control characters replaced,
/// and the trailing newline that copying a whole line brings along dropped.
pub fn clean_pasted(pasted: &str) -> String {
    let unified = pasted.replace("\r\n", "\n").replace('\r', "\n");
    unified
        .trim_end_matches('\n')
        .split('\t')
        .map(|part| clean(part, true))
        .collect::<Vec<_>>()
        .join("\t")
}

/// Cuts `text` to at most `max` cells, ending with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// Wraps text into lines of at most `max` cells. Breaks after spaces where it can and
/// inside a word only when the word alone is wider than a line (very long URLs, CJK
/// runs). `\n` always starts a new line. Never returns an empty vector.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(paragraph, max, &mut lines);
    }
    lines
}

fn wrap_paragraph(paragraph: &str, max: usize, lines: &mut Vec<String>) {
    // Spaces where a line breaks are the break itself: they are dropped.
    fn finish(line: &mut String, lines: &mut Vec<String>) {
        let trimmed = line.trim_end_matches(' ').len();
        line.truncate(trimmed);
        lines.push(std::mem::take(line));
    }
    let mut line = String::new();
    let mut line_width = 0;
    // Runs of spaces are pieces of their own, so spacing inside a line is preserved
    // exactly as the author typed it; lines break only at spaces (or inside words too
    // long for a line).
    for word in runs(paragraph) {
        let word_width = width(word);
        if line_width + word_width <= max {
            line.push_str(word);
            line_width += word_width;
            continue;
        }
        if word.chars().all(char::is_whitespace) {
            finish(&mut line, lines);
            line_width = 0;
            continue;
        }
        if word_width <= max && line_width > 0 {
            finish(&mut line, lines);
            line.push_str(word);
            line_width = word_width;
            continue;
        }
        // A word wider than what is left: break it between graphemes.
        for g in word.graphemes(true) {
            let w = grapheme_width(g);
            if line_width + w > max && line_width > 0 {
                finish(&mut line, lines);
                line_width = 0;
            }
            line.push_str(g);
            line_width += w;
        }
    }
    finish(&mut line, lines);
}

/// Joins items with `separator` into lines of at most `max` cells, never breaking an
/// item (unless it alone is too wide). For key hints: "Enter send · Esc back".
pub fn wrap_items(items: &[String], separator: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && width(&line) + width(separator) + width(item) > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(separator);
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| truncate(&l, max)).collect()
}

/// Splits text into alternating runs of whitespace and non-whitespace.
fn runs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first.is_whitespace();
        let end = rest
            .find(|c: char| c.is_whitespace() != space)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_cjk_are_two_cells_wide() {
        assert_eq!(width("👍"), 2);
        assert_eq!(width("❤️"), 2);
        assert_eq!(width("漢字"), 4);
        assert_eq!(width("e\u{301}"), 1);
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("hello big world", 9), vec!["hello big", "world"]);
    }

    #[test]
    fn wrap_keeps_punctuation_with_its_word() {
        assert_eq!(wrap("Sign in again.", 13), vec!["Sign in", "again."]);
        assert_eq!(wrap("a, b", 2), vec!["a,", "b"]);
    }

    #[test]
    fn wrap_breaks_long_words_between_graphemes() {
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("漢字漢字漢", 4), vec!["漢字", "漢字", "漢"]);
    }

    #[test]
    fn wrap_never_splits_a_wide_grapheme_across_lines() {
        assert_eq!(wrap("a👍b", 2), vec!["a", "👍", "b"]);
    }

    #[test]
    fn wrap_keeps_explicit_newlines_and_empty_lines() {
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn every_wrapped_line_fits() {
        let text = "Ünïcödé 👍🎉 漢字かな交じり文 supercalifragilisticexpialidocious ok";
        for max in 1..20 {
            for line in wrap(text, max) {
                assert!(width(&line) <= max.max(2), "{line:?} wider than {max}");
            }
        }
    }

    #[test]
    fn clean_removes_escape_sequences() {
        assert_eq!(clean("a\x1b[2Jb\tc", false), "a\u{FFFD}[2Jb    c");
        assert_eq!(clean("a\nb", true), "a\nb");
        assert_eq!(clean("a\nb", false), "a b");
    }

    #[test]
    fn truncate_adds_an_ellipsis() {
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("漢字漢字", 5), "漢字…");
        assert_eq!(truncate("short", 10), "short");
    }
}
