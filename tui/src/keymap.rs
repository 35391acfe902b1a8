//! The key map: which key does what in which context.
//!
//! One table drives both key handling (`KeyMap::action`) and the help overlay
//! (`KeyMap::help`), so the help can never describe keys that do not work. The config
//! file can rebind any action (`[keys.pane] select_older = ["k", "up"]`).

mod key;

pub use key::Key;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// Where a binding applies. Lookups try the focused context first, then the shared
/// editing keys (for text fields), then the global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// Editing keys shared by the draft and the sign-in fields.
    Edit,
    /// The draft (input focus).
    Input,
    /// The message pane (pane focus).
    Pane,
    SignIn,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Input,
        Context::Edit,
        Context::Pane,
        Context::Global,
        Context::SignIn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Edit => "edit",
            Context::Input => "input",
            Context::Pane => "pane",
            Context::SignIn => "signin",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Anywhere",
            Context::Edit => "Editing text",
            Context::Input => "Input (typing a message)",
            Context::Pane => "Message pane",
            Context::SignIn => "Sign-in screen",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Redraw,
    Help,
    ReconnectNow,
    // Editing.
    Left,
    Right,
    WordLeft,
    WordRight,
    LineStart,
    LineEnd,
    Backspace,
    Delete,
    KillToStart,
    KillToEnd,
    KillWord,
    Yank,
    // The draft.
    Send,
    Newline,
    HistoryPrev,
    HistoryNext,
    FocusPane,
    // The message pane (PageUp/PageDown also scroll from the input).
    SelectOlder,
    SelectNewer,
    PageUp,
    PageDown,
    Oldest,
    Newest,
    /// Jump to the first message that arrived while the user looked elsewhere.
    FirstUnread,
    /// Start a `:` command (from the pane).
    CommandLine,
    /// Ctrl+X: the first key of Ctrl+X Ctrl+E (edit the draft in $EDITOR).
    EditorPrefix,
    /// Toggle the Nth emoji of the set (0-based).
    React(u8),
    ReactDefault,
    FocusInput,
    SignOut,
    // Rooms.
    NextRoom,
    PrevRoom,
    /// The next room with a mention, else with unread messages.
    NextActiveRoom,
    // My own messages.
    EditMessage,
    DeleteMessage,
    /// The selected message to the clipboard (OSC 52).
    CopyMessage,
    // The sign-in screen.
    Submit,
    NextField,
    PrevField,
    ToggleSignUp,
}

impl Action {
    /// Every action, for parsing the config file.
    fn all() -> impl Iterator<Item = Action> {
        use Action::*;
        [
            Quit,
            Redraw,
            Help,
            ReconnectNow,
            Left,
            Right,
            WordLeft,
            WordRight,
            LineStart,
            LineEnd,
            Backspace,
            Delete,
            KillToStart,
            KillToEnd,
            KillWord,
            Yank,
            Send,
            Newline,
            HistoryPrev,
            HistoryNext,
            FocusPane,
            SelectOlder,
            SelectNewer,
            PageUp,
            PageDown,
            Oldest,
            Newest,
            FirstUnread,
            CommandLine,
            EditorPrefix,
            ReactDefault,
            FocusInput,
            SignOut,
            NextRoom,
            PrevRoom,
            NextActiveRoom,
            EditMessage,
            DeleteMessage,
            CopyMessage,
            Submit,
            NextField,
            PrevField,
            ToggleSignUp,
        ]
        .into_iter()
        .chain((0..9).map(React))
    }

    /// The name used in the config file.
    pub fn name(self) -> String {
        use Action::*;
        let name = match self {
            Quit => "quit",
            Redraw => "redraw",
            Help => "help",
            ReconnectNow => "reconnect_now",
            Left => "left",
            Right => "right",
            WordLeft => "word_left",
            WordRight => "word_right",
            LineStart => "line_start",
            LineEnd => "line_end",
            Backspace => "backspace",
            Delete => "delete",
            KillToStart => "kill_to_start",
            KillToEnd => "kill_to_end",
            KillWord => "kill_word",
            Yank => "yank",
            Send => "send",
            Newline => "newline",
            HistoryPrev => "history_prev",
            HistoryNext => "history_next",
            FocusPane => "focus_pane",
            SelectOlder => "select_older",
            SelectNewer => "select_newer",
            PageUp => "page_up",
            PageDown => "page_down",
            Oldest => "oldest",
            Newest => "newest",
            FirstUnread => "first_unread",
            CommandLine => "command_line",
            EditorPrefix => "editor_prefix",
            React(n) => return format!("react_{}", n + 1),
            ReactDefault => "react_default",
            FocusInput => "focus_input",
            SignOut => "sign_out",
            NextRoom => "next_room",
            PrevRoom => "prev_room",
            NextActiveRoom => "next_active_room",
            EditMessage => "edit_message",
            DeleteMessage => "delete_message",
            CopyMessage => "copy_message",
            Submit => "submit",
            NextField => "next_field",
            PrevField => "prev_field",
            ToggleSignUp => "toggle_sign_up",
        };
        name.to_owned()
    }

    /// What the help overlay says the action does.
    pub fn description(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Redraw => "redraw the screen",
            Help => "show / hide this help",
            ReconnectNow => "reconnect now",
            Left => "cursor left",
            Right => "cursor right",
            WordLeft => "word left",
            WordRight => "word right",
            LineStart => "start of line",
            LineEnd => "end of line",
            Backspace => "delete before cursor",
            Delete => "delete at cursor",
            KillToStart => "delete to start of line",
            KillToEnd => "delete to end of line",
            KillWord => "delete previous word",
            Yank => "paste deleted text",
            Send => "send (or run a :command)",
            Newline => "insert a newline",
            HistoryPrev => "previous sent message",
            HistoryNext => "next sent message",
            FocusPane => "go to the message pane",
            SelectOlder => "select older message",
            SelectNewer => "select newer message",
            PageUp => "page up",
            PageDown => "page down",
            Oldest => "oldest loaded message",
            Newest => "newest message",
            FirstUnread => "first unread message",
            CommandLine => "a : command (Tab completes)",
            EditorPrefix => "then Ctrl+E: edit in $EDITOR",
            React(_) => "toggle Nth reaction",
            ReactDefault => "toggle 👍",
            FocusInput => "back to typing",
            SignOut => "sign out",
            NextRoom => "next room",
            PrevRoom => "previous room",
            NextActiveRoom => "next room with news",
            EditMessage => "edit my message",
            DeleteMessage => "delete my message",
            CopyMessage => "copy the message",
            Submit => "sign in / sign up",
            NextField => "next field",
            PrevField => "previous field",
            ToggleSignUp => "switch sign in / sign up",
        }
    }
}

/// A help row: the keys bound to one action (or to a group of actions that share a
/// description, like the nine reaction keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    pub keys: String,
    pub description: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// In the order the help shows them.
    bindings: Vec<(Context, Action, Key)>,
}

fn key(code: KeyCode) -> Key {
    Key::new(code, KeyModifiers::NONE)
}
fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}
fn ctrl(c: char) -> Key {
    Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}
fn alt(code: KeyCode) -> Key {
    Key::new(code, KeyModifiers::ALT)
}

impl Default for KeyMap {
    fn default() -> Self {
        use Action::*;
        use Context::*;
        use KeyCode as K;
        let mut b: Vec<(Context, Action, Key)> = vec![
            (Global, Quit, ctrl('c')),
            (Global, Redraw, ctrl('l')),
            (Global, Help, key(K::F(1))),
            (Global, ReconnectNow, ctrl('r')),
            (Global, NextRoom, ctrl('n')),
            (Global, PrevRoom, ctrl('p')),
            // Not Alt+1…9: Esc then a digit arrives as Alt+digit over ssh, and that
            // already means "leave the input and react".
            (Global, NextActiveRoom, alt(K::Char('a'))),
            (Input, Send, key(K::Enter)),
            (Input, Newline, alt(K::Enter)),
            // Ctrl+J is a line feed: the newline key where Alt+Enter is taken.
            (Input, Newline, ctrl('j')),
            (Input, HistoryPrev, key(K::Up)),
            (Input, HistoryNext, key(K::Down)),
            (Input, FocusPane, key(K::Esc)),
            (Input, FocusPane, key(K::Tab)),
            (Input, PageUp, key(K::PageUp)),
            (Input, PageDown, key(K::PageDown)),
            (Edit, Left, key(K::Left)),
            (Edit, Left, ctrl('b')),
            (Edit, Right, key(K::Right)),
            (Edit, Right, ctrl('f')),
            (Edit, WordLeft, alt(K::Char('b'))),
            (Edit, WordLeft, Key::new(K::Left, KeyModifiers::CONTROL)),
            (Edit, WordRight, alt(K::Char('f'))),
            (Edit, WordRight, Key::new(K::Right, KeyModifiers::CONTROL)),
            (Edit, LineStart, ctrl('a')),
            (Edit, LineStart, key(K::Home)),
            (Edit, LineEnd, ctrl('e')),
            (Edit, LineEnd, key(K::End)),
            (Edit, Backspace, key(K::Backspace)),
            (Edit, Delete, key(K::Delete)),
            (Edit, Delete, ctrl('d')),
            (Edit, KillToStart, ctrl('u')),
            (Edit, KillToEnd, ctrl('k')),
            (Edit, KillWord, ctrl('w')),
            (Edit, KillWord, alt(K::Backspace)),
            (Edit, Yank, ctrl('y')),
            (Pane, SelectOlder, ch('k')),
            (Pane, SelectOlder, key(K::Up)),
            (Pane, SelectNewer, ch('j')),
            (Pane, SelectNewer, key(K::Down)),
            (Pane, PageUp, key(K::PageUp)),
            (Pane, PageDown, key(K::PageDown)),
            (Pane, Oldest, ch('g')),
            (Pane, Oldest, key(K::Home)),
            (Pane, Newest, ch('G')),
            (Pane, Newest, key(K::End)),
            (Pane, FirstUnread, ch('u')),
            (Pane, CommandLine, ch(':')),
            (Input, EditorPrefix, ctrl('x')),
        ];
        for n in 0..9u8 {
            b.push((Pane, React(n), ch(char::from(b'1' + n))));
        }
        b.extend([
            (Pane, ReactDefault, ch('+')),
            (Pane, FocusInput, ch('i')),
            (Pane, FocusInput, key(K::Tab)),
            (Pane, FocusInput, key(K::Enter)),
            (Pane, FocusInput, key(K::Esc)),
            (Pane, EditMessage, ch('e')),
            (Pane, DeleteMessage, ch('d')),
            (Pane, CopyMessage, ch('y')),
            (Pane, Help, ch('?')),
            (Pane, SignOut, ch('S')),
            (SignIn, Submit, key(K::Enter)),
            (SignIn, NextField, key(K::Tab)),
            (SignIn, NextField, key(K::Down)),
            (SignIn, PrevField, key(K::BackTab)),
            (SignIn, PrevField, key(K::Up)),
            (SignIn, ToggleSignUp, ctrl('t')),
        ]);
        Self { bindings: b }
    }
}

impl KeyMap {
    /// The action for a key in a context, falling back to the shared editing keys where
    /// text is edited, then to the global keys.
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event);
        let chain: &[Context] = match context {
            Context::Input | Context::SignIn => &[context, Context::Edit, Context::Global],
            Context::Pane => &[Context::Pane, Context::Global],
            Context::Edit => &[Context::Edit, Context::Global],
            Context::Global => &[Context::Global],
        };
        chain.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|(c, _, k)| c == ctx && *k == key)
                .map(|(_, a, _)| *a)
        })
    }

    /// The keys bound to an action in a context, for hints ("Enter send").
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(c, a, _)| *c == context && *a == action)
            .map(|(_, _, k)| *k)
            .collect()
    }

    /// The first key bound to an action, as text, or "unbound".
    pub fn hint(&self, context: Context, action: Action) -> String {
        self.keys_for(context, action)
            .first()
            .map_or_else(|| "unbound".to_owned(), ToString::to_string)
    }

    /// Replaces the keys of `action` in `context`.
    pub fn rebind(&mut self, context: Context, action: Action, keys: &[Key]) {
        let at = self
            .bindings
            .iter()
            .position(|(c, a, _)| *c == context && *a == action)
            .unwrap_or(self.bindings.len());
        self.bindings
            .retain(|(c, a, _)| !(*c == context && *a == action));
        let at = at.min(self.bindings.len());
        for (i, k) in keys.iter().enumerate() {
            self.bindings.insert(at + i, (context, action, *k));
        }
    }

    /// Applies the `[keys.<context>]` tables of the config file.
    pub fn apply_overrides(
        &mut self,
        overrides: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    ) -> Result<(), String> {
        for (context_name, actions) in overrides {
            let context = Context::ALL
                .into_iter()
                .find(|c| c.name() == context_name)
                .ok_or_else(|| format!("unknown key context [keys.{context_name}]"))?;
            for (action_name, keys) in actions {
                let action = Action::all()
                    .find(|a| a.name() == *action_name)
                    .ok_or_else(|| {
                        format!("unknown action {action_name:?} in [keys.{context_name}]")
                    })?;
                let keys = keys
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<_>, _>>()?;
                self.rebind(context, action, &keys);
            }
        }
        Ok(())
    }

    /// The help overlay's rows for a context, generated from the bindings themselves.
    pub fn help(&self, context: Context) -> Vec<HelpRow> {
        let mut rows: Vec<HelpRow> = Vec::new();
        for (c, action, key) in &self.bindings {
            if *c != context {
                continue;
            }
            let description = action.description();
            match rows.iter_mut().find(|r| r.description == description) {
                Some(row) => {
                    // Digits of the reaction keys read best as "1 2 3"; others as "j, ↓".
                    let sep = if matches!(action, Action::React(_)) {
                        " "
                    } else {
                        ", "
                    };
                    row.keys.push_str(sep);
                    row.keys.push_str(&key.to_string());
                }
                None => rows.push(HelpRow {
                    keys: key.to_string(),
                    description,
                }),
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn shifted_characters_match_their_plain_binding() {
        let map = KeyMap::default();
        let g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action(Context::Pane, &g), Some(Action::Newest));
        let q = ev(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(map.action(Context::Pane, &q), Some(Action::Help));
    }

    #[test]
    fn input_falls_back_to_editing_and_global_keys() {
        let map = KeyMap::default();
        let ctrl_w = ev(KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Input, &ctrl_w), Some(Action::KillWord));
        let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Input, &ctrl_c), Some(Action::Quit));
        // Plain letters are for typing in the input.
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::Input, &j), None);
    }

    #[test]
    fn overrides_replace_the_default_keys() {
        let mut map = KeyMap::default();
        let mut pane = BTreeMap::new();
        pane.insert("select_older".to_owned(), vec!["p".to_owned()]);
        let mut all = BTreeMap::new();
        all.insert("pane".to_owned(), pane);
        assert_eq!(map.apply_overrides(&all), Ok(()));
        let k = ev(KeyCode::Char('k'), KeyModifiers::NONE);
        let p = ev(KeyCode::Char('p'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::Pane, &k), None);
        assert_eq!(map.action(Context::Pane, &p), Some(Action::SelectOlder));
        assert!(map.help(Context::Pane).iter().any(|r| r.keys == "p"));
    }

    #[test]
    fn help_groups_the_reaction_keys_into_one_row() {
        let rows = KeyMap::default().help(Context::Pane);
        let react = rows
            .iter()
            .find(|r| r.description.starts_with("toggle Nth"));
        assert_eq!(react.map(|r| r.keys.as_str()), Some("1 2 3 4 5 6 7 8 9"));
    }
}
