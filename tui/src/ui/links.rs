//! URLs in messages as OSC 8 hyperlinks: a click opens them in terminals that know OSC 8
//! (most do; the others show the text as it is). Cells cannot carry escape sequences, so
//! rendering returns where each link is ([`Link`]) and the backend wraps those cells in
//! OSC 8 as it writes them (`terminal::QuietBackend`). Link text is also underlined: a
//! cell that stops being part of a link then differs from what the terminal shows, so it
//! is redrawn, without the link.

use std::ops::Range;
use std::sync::Arc;

/// A URL's place on the screen: `width` cells from (`x`, `y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub url: Arc<str>,
}

/// Longer URLs are left as text (a terminal limits them too; 2083 is the old browser
/// limit that many still keep).
const MAX_URL_BYTES: usize = 2048;

/// The byte ranges of the http(s) URLs in `text`: from the scheme to the next blank or
/// character that cannot be in a URL, without trailing punctuation that usually ends the
/// sentence around it ("see https://x.org/a." links "https://x.org/a"), and with a
/// closing parenthesis only when the URL opened one (Wikipedia's "…_(film)").
pub fn urls(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = next_scheme(&text[from..]) {
        let start = from + at;
        let end = start
            + text[start..]
                .find(|c: char| !is_url_char(c))
                .unwrap_or(text.len() - start);
        let end = start + trim_end(&text[start..end]).len();
        let scheme_only = text[start..end].ends_with("://");
        if !scheme_only && end - start <= MAX_URL_BYTES {
            found.push(start..end);
        }
        from = end.max(start + 1);
    }
    found
}

fn next_scheme(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let http = lower.find("http://");
    let https = lower.find("https://");
    let at = match (http, https) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    // Not in the middle of a word ("xhttp://").
    let glued = text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    if glued {
        return next_scheme(&text[at + 1..]).map(|next| at + 1 + next);
    }
    Some(at)
}

/// RFC 3986's characters (ASCII only: an OSC string must stay printable ASCII).
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

fn trim_end(url: &str) -> &str {
    let mut url = url;
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
        let trimmed = if trimmed.ends_with(')')
            && trimmed.matches('(').count() < trimmed.matches(')').count()
        {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            return url;
        }
        url = trimmed;
    }
}

/// Where the URLs of `content` fall in its wrapped `lines` (as `text::wrap` made them,
/// which only drops the blanks it breaks at): for each line, the byte ranges within the
/// line and the whole URL each belongs to. A URL broken over lines is a piece in each.
pub fn pieces(content: &str, lines: &[String]) -> Vec<Vec<(Range<usize>, Arc<str>)>> {
    let found = urls(content);
    let mut cursor = 0;
    lines
        .iter()
        .map(|line| {
            let start = content[cursor..]
                .find(line.as_str())
                .map_or(cursor, |at| cursor + at);
            cursor = start + line.len();
            let span = start..cursor;
            found
                .iter()
                .filter(|url| url.start < span.end && span.start < url.end)
                .map(|url| {
                    let from = url.start.max(span.start) - span.start;
                    let to = url.end.min(span.end) - span.start;
                    (from..to, Arc::from(&content[url.clone()]))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        urls(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn urls_are_found_without_the_punctuation_around_them() {
        assert_eq!(
            found("see https://example.org/a?b=1#c. and http://x.io, ok"),
            ["https://example.org/a?b=1#c", "http://x.io"]
        );
        assert_eq!(
            found("(https://en.wikipedia.org/wiki/Heat_(film))"),
            ["https://en.wikipedia.org/wiki/Heat_(film)"]
        );
        assert_eq!(found("HTTPS://Example.org/X"), ["HTTPS://Example.org/X"]);
        assert!(found("no links, xhttp://glued, https:// alone, ftp://x").is_empty());
        // Non-ASCII ends a URL (it cannot go into the OSC string as it is).
        assert_eq!(found("https://a.org/é"), ["https://a.org/"]);
        // Control characters end it too: nothing can break out of the OSC string.
        assert_eq!(found("https://a.org/\u{1b}]8;;x"), ["https://a.org/"]);
        let long = format!("https://a.org/{}", "x".repeat(MAX_URL_BYTES));
        assert!(found(&long).is_empty());
    }

    #[test]
    fn a_url_broken_over_lines_is_one_link_in_pieces() {
        let content = "go to https://example.org/a/very/long/path now";
        let lines = crate::text::wrap(content, 12);
        let pieces = pieces(content, &lines);
        let mut rebuilt = String::new();
        for (line, line_pieces) in lines.iter().zip(&pieces) {
            for (range, url) in line_pieces {
                assert_eq!(&**url, "https://example.org/a/very/long/path");
                rebuilt.push_str(&line[range.clone()]);
            }
        }
        assert_eq!(rebuilt, "https://example.org/a/very/long/path");
        // "go to https:" | "//example.or" | "g/a/very/lon" | "g/path now"
        assert_eq!(pieces[0][0].0, "go to ".len()..lines[0].len(), "{lines:?}");
        assert_eq!(pieces[3][0].0, 0.."g/path".len(), "{lines:?}");
    }

    #[test]
    fn two_links_on_one_line_and_repeated_text() {
        let content = "a a https://a.org b https://b.org\nhttps://a.org";
        let lines = crate::text::wrap(content, 80);
        let pieces = pieces(content, &lines);
        let urls: Vec<Vec<&str>> = pieces
            .iter()
            .map(|p| p.iter().map(|(_, u)| &**u).collect())
            .collect();
        assert_eq!(
            urls,
            [
                vec!["https://a.org", "https://b.org"],
                vec!["https://a.org"]
            ]
        );
        assert_eq!(pieces[1][0].0, 0..13);
    }
}
