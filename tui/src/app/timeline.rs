//! The loaded messages, the optimistic reactions laid over them, and where the user
//! is looking (selection, scroll position, unread marker).
//!
//! Messages hold the server's snapshots unchanged. An optimistic reaction is an
//! *overlay*: "my reaction with this emoji on this message should be present/absent".
//! The overlay is idempotent (applying it to a snapshot that already agrees changes
//! nothing), so it stays correct whichever arrives first: the RPC answer or the
//! ReactionChanged event. Rolling back is dropping the overlay.

use chat_protocol::chat::v1::{Message, ReactionCount};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlay {
    /// The request this overlay belongs to; only its answer may remove it.
    pub op: u64,
    /// Whether my reaction should be present.
    pub mine: bool,
    /// The server's event for this very change already arrived, so its snapshot is at
    /// least as new as the RPC answer: keep the snapshot, ignore the answer's copy.
    pub seen_event: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Keyed by (message_id, emoji).
    pub overlays: HashMap<(String, String), Overlay>,
    /// Index of the selected message (meaningful when there are messages).
    pub selected: usize,
    /// Index of the message drawn at the bottom of the pane; None = follow the newest.
    pub view_bottom: Option<usize>,
    /// Rows of that bottom message hidden below the pane: how a message taller than the
    /// pane is scrolled through line by line. Always 0 when following.
    pub view_lift: usize,
    /// The first page has arrived.
    pub loaded: bool,
    /// What is shown came from the cache of the last run; the server's page is due.
    pub from_cache: bool,
    /// The messages that came from the cache: the server's newest page replaces them
    /// (even an empty page: a reset server must not go on showing the old ones).
    pub cached_ids: std::collections::HashSet<String>,
    /// The last attempt to load the first page failed (the pane says so until Ctrl+R).
    pub load_failed: bool,
    /// Older pages exist on the server.
    pub has_more: bool,
    pub loading_older: bool,
    /// The first message that arrived while the user was looking elsewhere.
    pub unread_marker: Option<String>,
    /// Messages that arrived below the view since the user scrolled up.
    pub unread_below: usize,
}

impl Timeline {
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn last_index(&self) -> usize {
        self.messages.len().saturating_sub(1)
    }

    pub fn index_of(&self, message_id: &str) -> Option<usize> {
        // Recent messages are the ones that change: search from the end.
        self.messages
            .iter()
            .rposition(|m| m.message_id == message_id)
    }

    pub fn selected_message(&self) -> Option<&Message> {
        self.messages.get(self.selected)
    }

    pub fn is_following(&self) -> bool {
        self.view_bottom.is_none()
    }

    /// Replaces a message we hold with a newer snapshot. Returns false when the
    /// message is not loaded (reactions on old history we never scrolled to).
    pub fn replace(&mut self, message: Message) -> bool {
        match self.index_of(&message.message_id) {
            Some(i) => {
                self.messages[i] = message;
                true
            }
            None => false,
        }
    }

    /// Adds a new message at the end (or refreshes it, if the page and the event both
    /// brought it). Returns true when it was new.
    pub fn push(&mut self, message: Message) -> bool {
        if self.replace(message.clone()) {
            return false;
        }
        self.messages.push(message);
        true
    }

    /// Puts an older page in front, skipping anything already held. Indexes shift, so
    /// the selection and the view shift with them.
    pub fn prepend(&mut self, page: Vec<Message>) -> usize {
        // One pass over what we hold, not one per message of the page: with a long
        // history, a search per message made each page cost page × history.
        let page_ids: std::collections::HashSet<&str> =
            page.iter().map(|m| m.message_id.as_str()).collect();
        let held: std::collections::HashSet<String> = self
            .messages
            .iter()
            .map(|m| m.message_id.as_str())
            .filter(|id| page_ids.contains(id))
            .map(str::to_owned)
            .collect();
        let fresh: Vec<Message> = page
            .into_iter()
            .filter(|m| !held.contains(m.message_id.as_str()))
            .collect();
        let n = fresh.len();
        self.messages.splice(0..0, fresh);
        self.selected += n;
        if let Some(b) = self.view_bottom.as_mut() {
            *b += n;
        }
        n
    }

    /// Replaces everything with the newest page (first load, or resync), keeping the
    /// messages that are newer than the page (events that raced it) and the selection
    /// if the selected message is still there.
    pub fn reset_to(&mut self, page: Vec<Message>, has_more: bool) {
        let selected_id = self.selected_message().map(|m| m.message_id.clone());
        let page_ids: std::collections::HashSet<&str> =
            page.iter().map(|m| m.message_id.as_str()).collect();
        let newest_in_page = page.last().and_then(|m| m.created_at);
        let newer: Vec<Message> = self
            .messages
            .iter()
            .filter(|m| !page_ids.contains(m.message_id.as_str()))
            .filter(|m| !self.cached_ids.contains(&m.message_id))
            .filter(|m| match (m.created_at, newest_in_page) {
                (Some(a), Some(b)) => (a.seconds, a.nanos) >= (b.seconds, b.nanos),
                _ => true,
            })
            .cloned()
            .collect();
        let mut messages = page;
        messages.extend(newer);
        self.messages = messages;
        self.has_more = has_more;
        self.loaded = true;
        self.load_failed = false;
        self.from_cache = false;
        self.cached_ids.clear();
        self.loading_older = false;
        // Confirmed or not, guesses about messages that are gone mean nothing now.
        let ids: std::collections::HashSet<String> =
            self.messages.iter().map(|m| m.message_id.clone()).collect();
        self.overlays.retain(|(id, _), _| ids.contains(id));
        match selected_id.and_then(|id| self.index_of(&id)) {
            Some(i) if !self.is_following() => {
                self.selected = i;
                self.view_bottom = Some(i);
            }
            _ => {
                self.selected = self.last_index();
                self.view_bottom = None;
            }
        }
        self.view_lift = 0;
        self.unread_below = 0;
    }

    /// The reactions of a message as the user should see them: the server's snapshot
    /// with my pending changes applied, in the order of the emoji set.
    pub fn reactions(&self, index: usize, me: &str, emoji_set: &[String]) -> Vec<ReactionCount> {
        let Some(message) = self.messages.get(index) else {
            return Vec::new();
        };
        let mut reactions = message.reactions.clone();
        for ((id, emoji), overlay) in &self.overlays {
            if *id == message.message_id {
                apply_overlay(&mut reactions, emoji, me, overlay.mine);
            }
        }
        reactions.retain(|r| r.count > 0);
        let rank = |e: &str| emoji_set.iter().position(|s| s == e).unwrap_or(usize::MAX);
        reactions.sort_by_key(|r| rank(&r.emoji));
        reactions
    }

    /// Whether my reaction with `emoji` is (as far as the user can see) on the message.
    pub fn has_my_reaction(&self, index: usize, me: &str, emoji: &str) -> bool {
        self.reactions(index, me, &[])
            .iter()
            .any(|r| r.emoji == emoji && r.user_names.iter().any(|n| n == me))
    }
}

/// Makes my reaction present or absent in a reaction list; does nothing if it already is.
fn apply_overlay(reactions: &mut Vec<ReactionCount>, emoji: &str, me: &str, mine: bool) {
    let entry = reactions.iter_mut().find(|r| r.emoji == emoji);
    match (entry, mine) {
        (Some(r), true) => {
            if !r.user_names.iter().any(|n| n == me) {
                r.user_names.push(me.to_owned());
                r.count += 1;
            }
        }
        (None, true) => reactions.push(ReactionCount {
            emoji: emoji.to_owned(),
            count: 1,
            user_names: vec![me.to_owned()],
        }),
        (Some(r), false) => {
            if let Some(pos) = r.user_names.iter().position(|n| n == me) {
                r.user_names.remove(pos);
                r.count = r.count.saturating_sub(1);
            }
        }
        (None, false) => {}
    }
}
