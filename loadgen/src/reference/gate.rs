//! The send gate in memory (api.md §3, §7): a user may post in a room only after their
//! previous message there got reactions from `required` distinct users other than
//! themselves. Self-reactions are kept (they show in the snapshot) but never counted.
//! Pure, so the rule the reference enforces can be tested without a server.

/// The reactions on one message, in the order they came: `(emoji index, user index)`.
#[derive(Debug, Default, Clone)]
pub struct Reactions {
    list: Vec<(u8, usize)>,
}

impl Reactions {
    /// Records `user`'s reaction with `emoji`; false if they already reacted with it
    /// (ALREADY_EXISTS), and then nothing changes.
    pub fn add(&mut self, user: usize, emoji: u8) -> bool {
        if self.list.contains(&(emoji, user)) {
            return false;
        }
        self.list.push((emoji, user));
        true
    }

    /// Distinct users other than `author` who reacted with anything: what the gate counts.
    pub fn counted(&self, author: usize) -> u32 {
        let mut others: Vec<usize> = Vec::with_capacity(self.list.len());
        for &(_, user) in &self.list {
            if user != author && !others.contains(&user) {
                others.push(user);
            }
        }
        u32::try_from(others.len()).unwrap_or(u32::MAX)
    }

    /// Every reaction in the order it came.
    pub fn iter(&self) -> impl Iterator<Item = (u8, usize)> + '_ {
        self.list.iter().copied()
    }
}

/// What a Send in a room needs: the lobby keeps the configured number whatever its size;
/// any other room never asks for more than the other members there are.
pub fn effective_required(lobby: bool, setting: u32, members: usize) -> u32 {
    if lobby {
        return setting;
    }
    let others = u32::try_from(members.saturating_sub(1)).unwrap_or(u32::MAX);
    setting.min(others)
}

/// Reactions still missing before the author may post again; 0 = the gate is open.
/// `previous` is the author's previous message in the room, if any, with its counted
/// reactions.
pub fn needed(required: u32, previous_counted: Option<u32>) -> u32 {
    previous_counted.map_or(0, |counted| required.saturating_sub(counted))
}

/// The FAILED_PRECONDITION text of a closed gate, as chat-server words it.
pub fn refusal(needed: u32) -> String {
    match needed {
        1 => "your previous message needs 1 more reaction from another user".to_owned(),
        n => format!("your previous message needs {n} more reactions from other users"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHOR: usize = 0;

    #[test]
    fn a_first_message_passes_and_a_second_waits_for_two_others() {
        assert_eq!(needed(2, None), 0, "never posted: open");
        let mut r = Reactions::default();
        assert_eq!(needed(2, Some(r.counted(AUTHOR))), 2);
        assert!(r.add(1, 0));
        assert_eq!(needed(2, Some(r.counted(AUTHOR))), 1);
        assert!(r.add(2, 0));
        assert_eq!(needed(2, Some(r.counted(AUTHOR))), 0);
        assert!(r.add(3, 0));
        assert_eq!(needed(2, Some(r.counted(AUTHOR))), 0, "more than enough");
    }

    #[test]
    fn self_reactions_and_second_emoji_do_not_count() {
        let mut r = Reactions::default();
        assert!(r.add(AUTHOR, 0), "reacting to one's own message is allowed");
        assert!(r.add(1, 0));
        assert!(
            r.add(1, 4),
            "another emoji by the same user is a new reaction"
        );
        assert!(!r.add(1, 0), "the same emoji twice is refused");
        assert_eq!(r.counted(AUTHOR), 1);
        assert_eq!(r.iter().count(), 3, "all of them are shown");
    }

    #[test]
    fn rooms_cap_the_requirement_by_their_members_and_the_lobby_does_not() {
        assert_eq!(
            effective_required(true, 2, 1),
            2,
            "the lobby: as configured"
        );
        assert_eq!(effective_required(false, 2, 1), 0, "a room of one");
        assert_eq!(effective_required(false, 2, 2), 1, "a DM: the other person");
        assert_eq!(effective_required(false, 2, 50), 2);
        assert_eq!(effective_required(false, 2, 0), 0);
    }

    #[test]
    fn the_refusal_says_how_many_are_missing() {
        assert_eq!(
            refusal(1),
            "your previous message needs 1 more reaction from another user"
        );
        assert_eq!(
            refusal(2),
            "your previous message needs 2 more reactions from other users"
        );
    }
}
