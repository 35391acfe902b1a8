//! The `:` command line: a draft that starts with `:` and names a command runs it
//! instead of being sent. One table drives running, completing (Tab) and `:help`.
//! Anything else that starts with `:` (":)", ":p", ": hi") is an ordinary message; only
//! the unfinished start of a command name (`:sig`) is refused, to be completed. A few
//! commands take one argument, a name (`:join rust`, `:dm bob`).

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
    Join,
    Direct,
    Create,
    Leave,
    Key,
}

/// What follows a command's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    /// One word, which must be given (its placeholder for `:help`).
    Required(&'static str),
    /// One word, or nothing.
    Optional(&'static str),
    /// Words of the command's own, checked by the command (shown as given in `:help`).
    Words(&'static str),
}

pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub arg: Arg,
    pub description: &'static str,
    pub cmd: Cmd,
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "help",
        aliases: &["h"],
        arg: Arg::None,
        description: "the keys and these commands",
        cmd: Cmd::Help,
    },
    Spec {
        name: "edit",
        aliases: &["e"],
        arg: Arg::None,
        description: "write the draft in $VISUAL / $EDITOR",
        cmd: Cmd::Edit,
    },
    Spec {
        name: "unread",
        aliases: &["u"],
        arg: Arg::None,
        description: "jump to the first unread message",
        cmd: Cmd::Unread,
    },
    Spec {
        name: "join",
        aliases: &[],
        arg: Arg::Required("room"),
        description: "join a public room, or go to it",
        cmd: Cmd::Join,
    },
    Spec {
        name: "dm",
        aliases: &["msg"],
        arg: Arg::Required("user"),
        description: "a direct conversation with someone",
        cmd: Cmd::Direct,
    },
    Spec {
        name: "create",
        aliases: &[],
        arg: Arg::Required("room"),
        description: "create a public room and join it",
        cmd: Cmd::Create,
    },
    Spec {
        name: "leave",
        aliases: &[],
        arg: Arg::Optional("room"),
        description: "leave this room (or the one named)",
        cmd: Cmd::Leave,
    },
    Spec {
        name: "key",
        aliases: &[],
        arg: Arg::Words("add|list|rm"),
        description: "ssh keys that sign you in over ssh",
        cmd: Cmd::Key,
    },
    Spec {
        name: "top",
        aliases: &[],
        arg: Arg::None,
        description: "the oldest loaded message",
        cmd: Cmd::Oldest,
    },
    Spec {
        name: "bottom",
        aliases: &[],
        arg: Arg::None,
        description: "the newest message",
        cmd: Cmd::Newest,
    },
    Spec {
        name: "reconnect",
        aliases: &[],
        arg: Arg::None,
        description: "reconnect now",
        cmd: Cmd::Reconnect,
    },
    Spec {
        name: "redraw",
        aliases: &[],
        arg: Arg::None,
        description: "redraw the screen",
        cmd: Cmd::Redraw,
    },
    Spec {
        name: "signout",
        aliases: &["sign-out", "logout"],
        arg: Arg::None,
        description: "sign out (no question asked)",
        cmd: Cmd::SignOut,
    },
    Spec {
        name: "quit",
        aliases: &["q"],
        arg: Arg::None,
        description: "quit",
        cmd: Cmd::Quit,
    },
];

/// The word after `:` when the draft has that shape (letters and dashes only), and
/// what follows it, trimmed.
fn word(draft: &str) -> Option<(&str, &str)> {
    let rest = draft.trim().strip_prefix(':')?;
    let (word, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let shaped = !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    shaped.then_some((word, arg.trim()))
}

pub fn find(word: &str) -> Option<&'static Spec> {
    COMMANDS
        .iter()
        .find(|s| s.name == word || s.aliases.contains(&word))
}

/// `Some(Ok((command, argument)))` for a command, `Some(Err)` for the unfinished start
/// of one (`:sig`) or a missing argument, `None` for a message: emoticons like `:p`,
/// `:o`, `:-p`, `:D` are messages, and so is a command without arguments followed by
/// text (":quit now").
pub fn parse(draft: &str) -> Option<Result<(Cmd, String), String>> {
    let (word, arg) = word(draft)?;
    if let Some(spec) = find(word) {
        return match spec.arg {
            Arg::None if arg.is_empty() => Some(Ok((spec.cmd, String::new()))),
            Arg::None => None,
            Arg::Required(what) if arg.is_empty() => {
                Some(Err(format!(":{} needs a {what} name", spec.name)))
            }
            Arg::Required(what) | Arg::Optional(what) if arg.contains(char::is_whitespace) => {
                Some(Err(format!(":{} takes one {what} name", spec.name)))
            }
            Arg::Required(_) | Arg::Optional(_) | Arg::Words(_) => {
                Some(Ok((spec.cmd, arg.to_owned())))
            }
        };
    }
    let unfinished =
        arg.is_empty() && word.len() >= 3 && COMMANDS.iter().any(|s| s.name.starts_with(word));
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
        let ok = |cmd| Some(Ok((cmd, String::new())));
        assert_eq!(parse(":quit"), ok(Cmd::Quit));
        assert_eq!(parse("  :q "), ok(Cmd::Quit));
        assert_eq!(parse(":logout"), ok(Cmd::SignOut));
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

    #[test]
    fn room_commands_take_one_name() {
        assert_eq!(
            parse(":join rust"),
            Some(Ok((Cmd::Join, "rust".to_owned())))
        );
        assert_eq!(
            parse(":dm  bob "),
            Some(Ok((Cmd::Direct, "bob".to_owned())))
        );
        assert_eq!(parse(":leave"), Some(Ok((Cmd::Leave, String::new()))));
        assert_eq!(
            parse(":join"),
            Some(Err(":join needs a room name".to_owned()))
        );
        assert_eq!(
            parse(":create two words"),
            Some(Err(":create takes one room name".to_owned()))
        );
    }
}
