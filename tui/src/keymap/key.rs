//! A key with its modifiers: parsed from the config file, matched against terminal
//! events, and written out for the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// One key with its modifiers, normalised so that a binding written `G` matches the
/// terminal's report of Shift+g, and `?` matches however Shift is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        Self { code, mods }
    }

    pub fn from_event(event: &KeyEvent) -> Self {
        Self::normalised(event.code, event.modifiers)
    }

    fn normalised(code: KeyCode, mods: KeyModifiers) -> Self {
        let mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        match code {
            // The character already says whether Shift was down.
            KeyCode::Char(c) => Self::new(KeyCode::Char(c), mods - KeyModifiers::SHIFT),
            // Some terminals send Shift+Tab as BackTab with Shift, others without.
            KeyCode::BackTab => Self::new(KeyCode::BackTab, mods - KeyModifiers::SHIFT),
            code => Self::new(code, mods),
        }
    }

    /// Parses `ctrl+a`, `alt+enter`, `pgup`, `f1`, `G`, `?`, `space`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix_len, m) = if lower.starts_with("ctrl+") {
                (5, KeyModifiers::CONTROL)
            } else if lower.starts_with("alt+") {
                (4, KeyModifiers::ALT)
            } else if lower.starts_with("shift+") {
                (6, KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == prefix_len {
                break; // a bare "+" after a modifier, e.g. "ctrl++"
            }
            mods |= m;
            rest = &rest[prefix_len..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            lower => {
                if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    KeyCode::F(n)
                } else {
                    let mut chars = rest.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => KeyCode::Char(c),
                        _ => return Err(format!("unknown key {text:?}")),
                    }
                }
            }
        };
        Ok(Self::normalised(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift+Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_config_text() {
        assert_eq!(
            Key::parse("ctrl+a"),
            Ok(Key::new(KeyCode::Char('a'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            Key::parse("Alt+Enter"),
            Ok(Key::new(KeyCode::Enter, KeyModifiers::ALT))
        );
        assert_eq!(
            Key::parse("f1"),
            Ok(Key::new(KeyCode::F(1), KeyModifiers::NONE))
        );
        assert_eq!(
            Key::parse("+"),
            Ok(Key::new(KeyCode::Char('+'), KeyModifiers::NONE))
        );
        assert_eq!(
            Key::parse("pgdn"),
            Ok(Key::new(KeyCode::PageDown, KeyModifiers::NONE))
        );
        assert!(Key::parse("nope").is_err());
    }
}
