//! A small readline-style line editor used for the draft and the sign-in fields.
//!
//! The cursor is a byte index that always sits on a grapheme boundary, so ←/→ and
//! Backspace move over whole user-perceived characters (an emoji with a skin tone, a
//! flag, `e` + combining accent) and never cut one in half.

use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editor {
    text: String,
    cursor: usize,
    /// The text removed by the last kill (Ctrl+U/K/W), for Ctrl+Y.
    killed: String,
}

impl Editor {
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            cursor: text.len(),
            killed: String::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replaces the whole text and puts the cursor at its end.
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_owned();
        self.cursor = self.text.len();
    }

    /// Puts the cursor at a byte index (snapped back to a grapheme boundary).
    pub fn set_cursor(&mut self, at: usize) {
        let at = at.min(self.text.len());
        self.cursor = self
            .text
            .grapheme_indices(true)
            .map(|(i, _)| i)
            .take_while(|&i| i <= at)
            .last()
            .unwrap_or(0);
        if at == self.text.len() {
            self.cursor = at;
        }
    }

    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    pub fn insert_str(&mut self, s: &str) {
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
    }

    pub fn insert_char(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map_or(self.cursor, |g| self.cursor + g.len())
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary();
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary();
    }

    /// Home / Ctrl+A: start of the current line of the draft.
    pub fn home(&mut self) {
        self.cursor = self.line_start();
    }

    /// End / Ctrl+E: end of the current line of the draft.
    pub fn end(&mut self) {
        self.cursor = self.line_end();
    }

    /// Alt+B: back to the start of the previous word.
    pub fn word_left(&mut self) {
        self.cursor = self.word_start_before(self.cursor);
    }

    /// Alt+F: forward past the end of the next word.
    pub fn word_right(&mut self) {
        let rest = &self.text[self.cursor..];
        let skipped_space = rest.len() - rest.trim_start().len();
        let word = rest[skipped_space..]
            .find(char::is_whitespace)
            .unwrap_or(rest.len() - skipped_space);
        self.cursor += skipped_space + word;
    }

    /// Where the word before `at` starts: skip whitespace backwards, then non-whitespace
    /// (readline's unix-word-rubout).
    fn word_start_before(&self, at: usize) -> usize {
        let before = &self.text[..at];
        let trimmed = before.trim_end();
        trimmed.rfind(char::is_whitespace).map_or(0, |i| {
            i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
        })
    }

    pub fn backspace(&mut self) {
        let start = self.prev_boundary();
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    pub fn delete(&mut self) {
        let end = self.next_boundary();
        self.text.replace_range(self.cursor..end, "");
    }

    fn kill(&mut self, start: usize, end: usize) {
        if start < end {
            self.killed = self.text[start..end].to_owned();
            self.text.replace_range(start..end, "");
            self.cursor = start;
        }
    }

    /// Ctrl+U: delete from the start of the line to the cursor.
    pub fn kill_to_start(&mut self) {
        self.kill(self.line_start(), self.cursor);
    }

    /// Ctrl+K: delete from the cursor to the end of the line.
    pub fn kill_to_end(&mut self) {
        let end = self.line_end();
        let cursor = self.cursor;
        self.kill(cursor, end);
    }

    /// Ctrl+W: delete the word before the cursor.
    pub fn kill_word(&mut self) {
        self.kill(self.word_start_before(self.cursor), self.cursor);
    }

    /// Ctrl+Y: insert the last killed text.
    pub fn yank(&mut self) {
        let killed = self.killed.clone();
        self.insert_str(&killed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, cursor: usize) -> Editor {
        let mut e = Editor::with_text(text);
        e.set_cursor(cursor);
        e
    }

    #[test]
    fn backspace_removes_a_whole_emoji() {
        let mut e = Editor::with_text("hi 👍🏽");
        e.backspace();
        assert_eq!(e.text(), "hi ");
    }

    #[test]
    fn left_and_right_move_over_graphemes() {
        let mut e = Editor::with_text("a漢e\u{301}");
        e.left();
        assert_eq!(e.cursor(), "a漢".len());
        e.left();
        e.left();
        assert_eq!(e.cursor(), 0);
        e.left();
        assert_eq!(e.cursor(), 0);
        e.right();
        e.right();
        assert_eq!(e.cursor(), "a漢".len());
    }

    #[test]
    fn ctrl_w_deletes_the_previous_word_and_ctrl_y_yanks_it() {
        let mut e = Editor::with_text("hello big  world  ");
        e.kill_word();
        assert_eq!(e.text(), "hello big  ");
        e.kill_word();
        assert_eq!(e.text(), "hello ");
        e.yank();
        assert_eq!(e.text(), "hello big  ");
    }

    #[test]
    fn ctrl_u_and_ctrl_k_kill_within_the_current_line() {
        let mut e = at("one\ntwo three", "one\ntwo".len());
        e.kill_to_start();
        assert_eq!(e.text(), "one\n three");
        e.kill_to_end();
        assert_eq!(e.text(), "one\n");
    }

    #[test]
    fn home_and_end_stay_on_the_current_line() {
        let mut e = at("one\ntwo", "one\ntw".len());
        e.home();
        assert_eq!(e.cursor(), 4);
        e.end();
        assert_eq!(e.cursor(), 7);
    }

    #[test]
    fn word_motions_skip_spaces() {
        let mut e = at("alpha beta gamma", 0);
        e.word_right();
        assert_eq!(e.cursor(), 5);
        e.word_right();
        assert_eq!(e.cursor(), 10);
        e.word_left();
        assert_eq!(e.cursor(), 6);
    }

    #[test]
    fn insert_happens_at_the_cursor() {
        let mut e = at("ac", 1);
        e.insert_char('b');
        e.insert_str("🎉");
        assert_eq!(e.text(), "ab🎉c");
        e.delete();
        assert_eq!(e.text(), "ab🎉");
    }
}
