//! `:key add [label]`, `:key list`, `:key remove <fingerprint>`: the ssh keys that sign
//! this user in through the ssh gateway without a password. The network task refuses
//! them outside a gateway session; the answers come back as notices.

use super::super::effect::{Command, Effect, KeyOp};
use super::super::event::{KeysReply, RpcError};
use super::super::state::{Notice, State};
use chat_protocol::auth::v1::SshKey;

/// What `:key` takes, for `:help` and errors.
pub const USAGE: &str = ":key add [label] · :key list · :key rm <fingerprint>";

pub fn run(state: &mut State, arg: &str, effects: &mut Vec<Effect>) {
    match parse(arg) {
        Ok(op) => effects.push(Effect::Net(Command::SshKey(op))),
        Err(why) => state.notice = Some(Notice::error(why).action(USAGE)),
    }
}

/// `arg`: what follows `:key`.
pub fn parse(arg: &str) -> Result<KeyOp, String> {
    let arg = arg.trim();
    let (verb, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let rest = rest.trim();
    match verb {
        "add" => Ok(KeyOp::Add {
            comment: rest.to_owned(),
        }),
        "list" | "ls" | "" if rest.is_empty() => Ok(KeyOp::List),
        "remove" | "rm" | "delete" if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            Ok(KeyOp::Remove {
                fingerprint: rest.to_owned(),
            })
        }
        "remove" | "rm" | "delete" => {
            Err(":key remove takes one fingerprint (its start is enough)".into())
        }
        other => Err(format!("unknown :key {other:?}")),
    }
}

pub fn on_reply(state: &mut State, result: Result<KeysReply, RpcError>) {
    state.notice = Some(match result {
        Ok(KeysReply::Added(key)) => Notice::info(format!("ssh key added: {}", describe(&key)))
            .action("next time, ssh with this key signs you in without a password"),
        Ok(KeysReply::Removed(key)) => Notice::info(format!("ssh key removed: {}", describe(&key))),
        Ok(KeysReply::Listed(keys)) if keys.is_empty() => {
            Notice::info("no ssh keys yet").action(":key add registers the one you connected with")
        }
        Ok(KeysReply::Listed(keys)) => {
            let listed: Vec<String> = keys.iter().map(describe).collect();
            Notice::info(format!(
                "{} ssh key{}: {}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" },
                listed.join(" · ")
            ))
        }
        Err(error) => Notice::error(error.message),
    });
}

/// "ed25519 4rMg5wQv laptop": the type, the start of the fingerprint (enough for
/// `:key remove`), the label.
fn describe(key: &SshKey) -> String {
    let kind = key.algorithm.strip_prefix("ssh-").unwrap_or(&key.algorithm);
    let fingerprint = key
        .fingerprint
        .strip_prefix("SHA256:")
        .unwrap_or(&key.fingerprint);
    let short: String = fingerprint.chars().take(8).collect();
    let mut text = format!("{kind} {short}");
    if !key.comment.is_empty() {
        text.push(' ');
        text.push_str(&key.comment);
    }
    if key.last_used_at.is_none() {
        text.push_str(" (never used)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_subcommands() {
        assert_eq!(
            parse("add"),
            Ok(KeyOp::Add {
                comment: String::new()
            })
        );
        assert_eq!(
            parse(" add  work laptop "),
            Ok(KeyOp::Add {
                comment: "work laptop".into()
            })
        );
        assert_eq!(parse(""), Ok(KeyOp::List));
        assert_eq!(parse("list"), Ok(KeyOp::List));
        assert_eq!(
            parse("rm SHA256:4rMg"),
            Ok(KeyOp::Remove {
                fingerprint: "SHA256:4rMg".into()
            })
        );
        assert!(parse("remove").is_err());
        assert!(parse("remove a b").is_err());
        assert!(parse("list everything").is_err());
        assert!(parse("frobnicate").is_err());
    }

    #[test]
    fn a_key_is_described_by_type_fingerprint_start_and_label() {
        let key = SshKey {
            fingerprint: "SHA256:4rMg5wQvneT9qy88w5lvV".into(),
            algorithm: "ssh-ed25519".into(),
            comment: "laptop".into(),
            ..SshKey::default()
        };
        assert_eq!(describe(&key), "ed25519 4rMg5wQv laptop (never used)");
    }
}
