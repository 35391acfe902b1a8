use crate::error::{Error, Result};
use uuid::Uuid;

/// A new time-ordered id (UUIDv7) in its canonical text form.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// A message id as sent by a client: a UUID, normalised to its canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageId(String);

impl MessageId {
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.is_empty() {
            return Err(Error::invalid("message_id is required"));
        }
        canonical_uuid("message_id", raw).map(Self)
    }

    /// `""` stands for "none" in optional id fields such as `before_message_id`.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>> {
        if raw.is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A UUID in any case, in its canonical (lower-case, hyphenated) form; `field` names the
/// request field in the error.
pub fn canonical_uuid(field: &str, raw: &str) -> Result<String> {
    Uuid::parse_str(raw)
        .map(|id| id.to_string())
        .map_err(|_| Error::invalid(format!("{field} {} is not a valid id", super::quoted(raw))))
}

/// The optional idempotency key of a Send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRequestId(String);

impl ClientRequestId {
    pub fn parse_optional(raw: &str) -> Result<Option<Self>> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.len() > 128 {
            return Err(Error::invalid(
                "client_request_id must be at most 128 bytes",
            ));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_must_be_uuids() {
        assert!(MessageId::parse("not-a-uuid").is_err());
        assert!(MessageId::parse("").is_err());
        let id = new_id();
        assert_eq!(MessageId::parse(&id).expect("valid").as_str(), id);
    }

    #[test]
    fn message_ids_are_normalised() {
        let id = new_id();
        let upper = id.to_uppercase();
        assert_eq!(MessageId::parse(&upper).expect("valid").as_str(), id);
    }

    #[test]
    fn optional_ids_treat_empty_as_none() {
        assert!(MessageId::parse_optional("").expect("ok").is_none());
        assert!(ClientRequestId::parse_optional("").expect("ok").is_none());
        assert!(ClientRequestId::parse_optional(&"x".repeat(129)).is_err());
    }
}
