//! Room ids, room names and kinds, as clients send them.

use super::{ids::canonical_uuid, quoted, user_name};
use crate::error::{Error, Result};
use unicode_normalization::UnicodeNormalization;

pub use migration::LOBBY_ROOM_ID;

/// A room id from a request: `""` is the lobby, anything else must be a UUID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoomId(String);

impl RoomId {
    pub fn lobby() -> Self {
        Self(LOBBY_ROOM_ID.to_owned())
    }

    /// `""` stands for the lobby in every `room_id` field.
    pub fn parse_or_lobby(raw: &str) -> Result<Self> {
        if raw.is_empty() {
            Ok(Self::lobby())
        } else {
            canonical_uuid("room_id", raw).map(Self)
        }
    }

    /// A stored id (known to be canonical).
    pub fn stored(id: String) -> Self {
        Self(id)
    }

    pub fn is_lobby(&self) -> bool {
        self.0 == LOBBY_ROOM_ID
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 1–40 letters, digits, `_`, `.` or `-`, in NFKC form; unique by [`RoomName::key`],
/// folded as user names are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(raw: &str) -> Result<Self> {
        let name: String = raw.nfkc().collect();
        let len = name.chars().count();
        if !(1..=40).contains(&len) {
            return Err(Error::invalid("room name must be 1 to 40 characters long"));
        }
        if let Some(bad) = name.chars().find(|c| !user_name::is_name_char(*c)) {
            return Err(Error::invalid(format!(
                "room name may contain only letters, digits, '_', '.' and '-' (found {bad:?} in {})",
                quoted(raw)
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        user_name::fold(&self.0)
    }
}

/// What a room is; stored as text in `rooms.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomKind {
    Lobby,
    Public,
    Direct,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lobby => "lobby",
            Self::Public => "public",
            Self::Direct => "direct",
        }
    }

    pub fn parse(stored: &str) -> Result<Self> {
        match stored {
            "lobby" => Ok(Self::Lobby),
            "public" => Ok(Self::Public),
            "direct" => Ok(Self::Direct),
            other => Err(Error::internal(format!("unknown room kind {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_room_id_is_the_lobby_and_others_must_be_uuids() {
        assert!(RoomId::parse_or_lobby("").expect("lobby").is_lobby());
        assert!(
            RoomId::parse_or_lobby(&LOBBY_ROOM_ID.to_uppercase())
                .expect("lobby")
                .is_lobby()
        );
        assert!(RoomId::parse_or_lobby("lobby").is_err());
    }

    #[test]
    fn room_names_are_short_plain_and_compared_ignoring_case() {
        assert!(RoomName::parse("").is_err());
        assert!(RoomName::parse(&"a".repeat(41)).is_err());
        assert!(RoomName::parse("a b").is_err());
        assert!(RoomName::parse("x").is_ok());
        let upper = RoomName::parse("Rust-Lang.fr_1").expect("valid");
        let lower = RoomName::parse("rust-lang.FR_1").expect("valid");
        assert_eq!(upper.key(), lower.key());
        assert_eq!(upper.as_str(), "Rust-Lang.fr_1");
    }
}
