//! The marker each posted message carries, and finding markers on a screen.
//!
//! A session knows a message has reached it when the marker is *on its screen*, not
//! when the marker's bytes went by: ratatui sends only the cells that changed, so a
//! marker may arrive in pieces (or, when a message moves up a row, not as text at all).
//! The screen is therefore the vt100 parser's, and it is scanned as a whole.
//!
//! A marker is `[m` + five digits + `]`: fixed width, so one marker is never part of
//! another, and short, so a message never wraps in the middle of it.

/// The most messages one run can mark (five digits).
pub const MAX_MESSAGES: usize = 100_000;

const OPEN: &str = "[m";
const DIGITS: usize = 5;

/// The marker of message `index` (below [`MAX_MESSAGES`]).
pub fn marker(index: usize) -> String {
    format!("{OPEN}{index:0DIGITS$}]")
}

/// The text of message `index`: a few words and its marker.
pub fn content(index: usize) -> String {
    format!("busy room {}", marker(index))
}

/// Every marker's index in `text`, in the order they appear.
pub fn scan(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices(OPEN).filter_map(|(at, _)| {
        let rest = text.get(at + OPEN.len()..)?;
        let digits = rest.get(..DIGITS)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !rest[DIGITS..].starts_with(']') {
            return None;
        }
        digits.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_found_where_the_screen_shows_it() {
        let screen = format!(
            " #lobby │ poster 12:00\n         │ {}\n         │ {}  │ ● ssh7",
            content(7),
            content(42)
        );
        assert_eq!(scan(&screen).collect::<Vec<_>>(), [7, 42]);
    }

    #[test]
    fn every_index_round_trips() {
        for index in [0, 1, 99, 12_345, MAX_MESSAGES - 1] {
            assert_eq!(scan(&content(index)).collect::<Vec<_>>(), [index]);
        }
    }

    #[test]
    fn broken_or_cut_markers_are_not_markers() {
        // Cut off by the pane's edge, wider than five digits, not digits, unclosed.
        for text in [
            "[m0001",
            "[m000012]",
            "[m00a12]",
            "[m00012 ",
            "[m",
            "m00012]",
        ] {
            assert_eq!(scan(text).count(), 0, "{text:?}");
        }
        // Multibyte text around a marker does not trip the slicing.
        assert_eq!(scan("漢字[m😀[m00003]🎉").collect::<Vec<_>>(), [3]);
    }
}
