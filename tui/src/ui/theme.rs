//! Styles. With NO_COLOR set every distinction is made with bold, dim, reverse and
//! underline instead of colour, so nothing depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn text(self) -> Style {
        Style::new()
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Another user's name: a colour of its own, the same on every screen and in every
    /// session (a hash of the name), from a set readable on the background the theme is
    /// for. Bold only under NO_COLOR.
    pub fn author(self, name: &str, light: bool) -> Style {
        // xterm-256 colours of middle brightness; the light set is darker.
        const DARK: [u8; 10] = [75, 114, 179, 176, 80, 215, 141, 150, 211, 117];
        const LIGHT: [u8; 10] = [25, 28, 94, 90, 30, 130, 55, 58, 125, 24];
        // FNV-1a: stable across runs and platforms (std's hasher is not).
        let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let set = if light { LIGHT } else { DARK };
        let pick = set[usize::try_from(hash).unwrap_or(0) % set.len()];
        self.fg(Color::Indexed(pick)).add_modifier(Modifier::BOLD)
    }

    pub fn own_name(self) -> Style {
        self.fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The bar beside my own messages.
    pub fn own_gutter(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// The bar beside the selected message.
    /// A message that mentions me: its gutter, and the counts of mentions in the room
    /// list. Bold without colour, so it also stands out under NO_COLOR.
    pub fn mention(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The room on screen in the room list.
    pub fn current_room(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// "message deleted" in place of a tombstone's text.
    /// A URL (an OSC 8 link where the terminal knows them): underlined, also without
    /// colour, and never the only sign of anything.
    pub fn link(self) -> Style {
        self.fg(Color::LightBlue).add_modifier(Modifier::UNDERLINED)
    }

    pub fn tombstone(self) -> Style {
        Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC)
    }

    pub fn selected_gutter(self) -> Style {
        self.fg(Color::LightMagenta).add_modifier(Modifier::BOLD)
    }

    pub fn chip(self) -> Style {
        self.fg(Color::Gray)
    }

    /// A reaction chip that includes my own reaction.
    pub fn chip_mine(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn divider(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn hint(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn status_bar(self) -> Style {
        if self.color {
            Style::new().bg(Color::DarkGray).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn border(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn border_focused(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_colours_are_stable_spread_and_off_without_colour() {
        let dark = Theme::new(true);
        assert_eq!(dark.author("alice", false), dark.author("alice", false));
        let names = [
            "alice",
            "bob",
            "carol",
            "dave",
            "erin",
            "frank",
            "grace",
            "李小龍",
        ];
        let colours: std::collections::HashSet<_> =
            names.iter().map(|n| dark.author(n, false).fg).collect();
        assert!(colours.len() >= 5, "{colours:?}");
        // The light set is a different (darker) one.
        assert_ne!(
            dark.author("alice", false).fg,
            dark.author("alice", true).fg
        );
        let mono = Theme::new(false).author("alice", false);
        assert_eq!(mono.fg, None);
        assert!(mono.add_modifier.contains(Modifier::BOLD));
    }
}
