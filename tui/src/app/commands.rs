//! The `:` command line: a draft that starts with `:` and names a command runs it
//! instead of being sent. One table drives running, completing (Tab) and `:help`.
//! Anything else that starts with `:` (":)", ":p", ": hi") is an ordinary message; only
//! the unfinished start of a command name (`:sig`) is refused, to be completed.

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Help,
    Quit,
    SignOut,
    Edit,
    Unread,
    Oldest,
    Newest,
    Reconnect,
    Redraw,
}

pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub description: &'static str,
    pub cmd: Cmd,
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "help",
        aliases: &["h"],
        description: "the keys and these commands",
        cmd: Cmd::Help,
    },
    Spec {
        name: "edit",
        aliases: &["e"],
        description: "write the draft in $VISUAL / $EDITOR",
        cmd: Cmd::Edit,
    },
    Spec {
        name: "unread",
        aliases: &["u"],
        description: "jump to the first unread message",
        cmd: Cmd::Unread,
    },
    Spec {
        name: "top",
        aliases: &[],
        description: "the oldest loaded message",
        cmd: Cmd::Oldest,
    },
    Spec {
        name: "bottom",
        aliases: &[],
        description: "the newest message",
        cmd: Cmd::Newest,
    },
    Spec {
        name: "reconnect",
        aliases: &[],
        description: "reconnect now",
        cmd: Cmd::Reconnect,
    },
    Spec {
        name: "redraw",
        aliases: &[],
        description: "redraw the screen",
        cmd: Cmd::Redraw,
    },
    Spec {
        name: "signout",
        aliases: &["sign-out", "logout"],
        description: "sign out (no question asked)",
        cmd: Cmd::SignOut,
    },
    Spec {
        name: "quit",
        aliases: &["q"],
        description: "quit",
        cmd: Cmd::Quit,
    },
];

/// The word after `:` when the draft has that shape: letters and dashes only, nothing
/// after but spaces.
fn word(draft: &str) -> Option<&str> {
    let rest = draft.trim().strip_prefix(':')?;
    (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '-')).then_some(rest)
}

/// `Some(Ok)` for a command, `Some(Err)` for the unfinished start of one (`:sig`),
/// `None` for a message: emoticons like `:p`, `:o`, `:-p`, `:D` are messages.
pub fn parse(draft: &str) -> Option<Result<Cmd, String>> {
    let word = word(draft)?;
    if let Some(spec) = COMMANDS
        .iter()
        .find(|s| s.name == word || s.aliases.contains(&word))
    {
        return Some(Ok(spec.cmd));
    }
    let unfinished = word.len() >= 3 && COMMANDS.iter().any(|s| s.name.starts_with(word));
    unfinished.then(|| Err(format!("unknown command :{word} (Tab completes it)")))
}

/// The commands whose name starts with what is typed after `:` (all for a bare `:`).
pub fn matching(draft: &str) -> Vec<&'static Spec> {
    let Some(typed) = draft.strip_prefix(':') else {
        return Vec::new();
    };
    if typed.contains(char::is_whitespace) {
        return Vec::new();
    }
    COMMANDS
        .iter()
        .filter(|s| s.name.starts_with(typed))
        .collect()
}

/// Tab: the draft completed as far as the matching commands agree, or `None` when
/// nothing matches.
pub fn complete(draft: &str) -> Option<String> {
    let names: Vec<&str> = matching(draft).iter().map(|s| s.name).collect();
    let first = *names.first()?;
    let common = names.iter().fold(first.len(), |n, name| {
        first
            .bytes()
            .zip(name.bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    Some(format!(":{}", &first[..common]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_aliases_and_messages_that_look_like_commands() {
        assert_eq!(parse(":quit"), Some(Ok(Cmd::Quit)));
        assert_eq!(parse("  :q "), Some(Ok(Cmd::Quit)));
        assert_eq!(parse(":logout"), Some(Ok(Cmd::SignOut)));
        assert_eq!(
            parse(":sig"),
            Some(Err("unknown command :sig (Tab completes it)".to_owned()))
        );
        for emoticon in [":p", ":o", ":x", ":-p", ":D", ":)", ":nope"] {
            assert_eq!(parse(emoticon), None, "{emoticon} is a message");
        }
        assert_eq!(parse(": hello"), None);
        assert_eq!(parse(":quit now"), None);
        assert_eq!(parse("quit"), None);
    }

    #[test]
    fn tab_completes_as_far_as_the_matches_agree() {
        assert_eq!(complete(":he").as_deref(), Some(":help"));
        assert_eq!(complete(":re").as_deref(), Some(":re"), "reconnect, redraw");
        assert_eq!(complete(":rec").as_deref(), Some(":reconnect"));
        assert_eq!(complete(":x"), None);
        assert_eq!(matching(":").len(), COMMANDS.len());
    }
}
