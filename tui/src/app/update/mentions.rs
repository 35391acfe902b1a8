//! Tab after `@` completes the name of a member of the room on screen.

use super::super::state::{Notice, State};

/// The characters a user name may hold (the server's rule).
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The `@partial` just before the cursor: where its name starts, and the partial name.
fn partial(text: &str, cursor: usize) -> Option<(usize, &str)> {
    let before = text.get(..cursor)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_char(*c))
        .last()
        .map_or(cursor, |(i, _)| i);
    let at = before[..start].strip_suffix('@')?;
    // "a@b" is an address, not a mention.
    if at.chars().last().is_some_and(is_name_char) {
        return None;
    }
    Some((start, &before[start..]))
}

/// The longest start shared by every name (ignoring case; the first name's spelling).
fn common_start(names: &[&str]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut out = String::new();
    for (i, c) in first.chars().enumerate() {
        let same = names.iter().all(|n| {
            n.chars()
                .nth(i)
                .is_some_and(|d| d.to_lowercase().eq(c.to_lowercase()))
        });
        if !same {
            break;
        }
        out.push(c);
    }
    out
}

/// Tab in the draft: completes `@par` to `@partner ` (or as far as the names agree).
/// False when the cursor is not after an `@`.
pub fn complete(state: &mut State) -> bool {
    let text = state.draft.editor.text().to_owned();
    let cursor = state.draft.editor.cursor();
    let Some((start, typed)) = partial(&text, cursor) else {
        return false;
    };
    let me = state.my_name().to_lowercase();
    let names = state.rooms.known_names(state.room());
    let typed_lower = typed.to_lowercase();
    let matches: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.to_lowercase() != me && n.to_lowercase().starts_with(&typed_lower))
        .collect();
    let done = match matches.as_slice() {
        [] => {
            state.notice = Some(Notice::info(format!("nobody here is called @{typed}…")));
            return true;
        }
        [one] => format!("{one} "),
        many => {
            let shown: Vec<String> = many.iter().take(8).map(|n| format!("@{n}")).collect();
            state.notice = Some(Notice::info(shown.join(" ")));
            common_start(many)
        }
    };
    let mut new_text = String::with_capacity(text.len() + done.len());
    new_text.push_str(&text[..start]);
    new_text.push_str(&done);
    let new_cursor = new_text.len();
    new_text.push_str(&text[cursor..]);
    state.draft.editor.set_text(&new_text);
    state.draft.editor.set_cursor(new_cursor);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_name_is_the_word_after_an_at_sign() {
        assert_eq!(partial("hi @bo", 6), Some((4, "bo")));
        assert_eq!(partial("@", 1), Some((1, "")));
        assert_eq!(partial("hi bo", 5), None);
        assert_eq!(partial("mail a@bo", 9), None, "an address");
        assert_eq!(partial("hi @bob there", 7), Some((4, "bob")));
    }

    #[test]
    fn names_complete_as_far_as_they_agree() {
        assert_eq!(common_start(&["Bob", "bobby"]), "Bob");
        assert_eq!(common_start(&["alice", "alan"]), "al");
    }
}
