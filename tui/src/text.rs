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
    let mut line = String::new();
    let mut line_width = 0;
    // split_word_bounds keeps runs of spaces as their own pieces, so spacing inside a
    // line is preserved exactly as the author typed it.
    for word in paragraph.split_word_bounds() {
        let word_width = width(word);
        let is_space = word.chars().all(char::is_whitespace);
        if line_width + word_width <= max {
            line.push_str(word);
            line_width += word_width;
            continue;
        }
        if is_space {
            // A space at the wrap point is the break itself: drop it.
            lines.push(std::mem::take(&mut line));
            line_width = 0;
            continue;
        }
        if word_width <= max && line_width > 0 {
            lines.push(std::mem::take(&mut line));
            line.push_str(word);
            line_width = word_width;
            continue;
        }
        // A word wider than what is left: break it between graphemes.
        for g in word.graphemes(true) {
            let w = grapheme_width(g);
            if line_width + w > max && line_width > 0 {
                lines.push(std::mem::take(&mut line));
                line_width = 0;
            }
            line.push_str(g);
            line_width += w;
        }
    }
    lines.push(line.trim_end_matches(' ').to_owned());
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
