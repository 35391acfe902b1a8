//! "Did you mean …?": the known name nearest to a misspelt one.

/// The nearest of `known` to `wrong`, if it is near enough to be a likely typo.
pub(super) fn nearest<'a>(
    wrong: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong = wrong.to_lowercase();
    known
        .into_iter()
        .map(|name| {
            (
                strsim::damerau_levenshtein(&wrong, &name.to_lowercase()),
                name,
            )
        })
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// `" (did you mean `server.port`?)"`, or nothing.
pub(super) fn hint<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(wrong, known)
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_key_and_nonsense_finds_nothing() {
        let known = ["server.port", "server.host", "log.level"];
        assert_eq!(nearest("server.prot", known), Some("server.port"));
        assert_eq!(nearest("SERVER.PORT", known), Some("server.port"));
        assert_eq!(nearest("log.levle", known), Some("log.level"));
        assert_eq!(nearest("database.something", known), None);
    }
}
