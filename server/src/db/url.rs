//! Database URLs: where a SQLite URL points, and keeping a URL's password out of every
//! message (a connection error quotes the URL it could not use).

use std::path::PathBuf;

/// The file a SQLite URL names (`sqlite://path?query`, `sqlite:path`); `None` for other
/// backends and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// `text` with the password of `url` (`scheme://user:password@host…`) blanked wherever it
/// appears, as it is or percent-encoded.
pub fn redact(text: &str, url: &str) -> String {
    match password(url) {
        Some(secret) if !secret.is_empty() => text.replace(secret, "[redacted]"),
        _ => text.to_owned(),
    }
}

fn password(url: &str) -> Option<&str> {
    let after_scheme = url.split_once("://")?.1;
    // The credentials end at the last '@' before the path: a password may contain '@'.
    let authority = after_scheme.split(['/', '?']).next()?;
    let (credentials, _host) = authority.rsplit_once('@')?;
    Some(credentials.split_once(':')?.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/chat.db?mode=rwc"),
            Some(PathBuf::from("data/chat.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///tmp/x.db"),
            Some(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }

    #[test]
    fn passwords_are_blanked_in_messages() {
        let url = "postgres://chat:hunter2@db.example:notaport/chat";
        let message = format!("invalid port in {url}");
        let shown = redact(&message, url);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("chat:[redacted]@db.example"), "{shown}");
        let tricky = "postgres://u:p@ss@host/db";
        assert!(!redact(tricky, tricky).contains("p@ss"));
        assert_eq!(
            redact("no secret here", "postgres://u@h/db"),
            "no secret here"
        );
    }
}
