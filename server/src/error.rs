//! The server's one error type, and the one place that chooses gRPC status codes.

use sea_orm::{DbErr, SqlErr};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    ResourceExhausted(String),
    /// Authenticated, but not allowed: a disabled account, closed registration.
    #[error("{0}")]
    PermissionDenied(String),
    /// Try again later (e.g. the server is shutting down); nothing was done.
    #[error("{0}")]
    Unavailable(String),
    /// Anything the client cannot act on. The detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidArgument(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn unauthenticated(msg: impl Into<String>) -> Self {
        Self::Unauthenticated(msg.into())
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound(_) => Code::NotFound,
            Self::AlreadyExists(_) => Code::AlreadyExists,
            Self::FailedPrecondition(_) => Code::FailedPrecondition,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::ResourceExhausted(_) => Code::ResourceExhausted,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl From<DbErr> for Error {
    /// A unique violation is a conflict the caller caused; everything else is ours.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::AlreadyExists("already exists".into())
            }
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Status::internal("internal error")
            }
            other => Status::new(other.code(), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_own_code() {
        let cases = [
            (Error::invalid("x"), Code::InvalidArgument),
            (Error::not_found("x"), Code::NotFound),
            (Error::AlreadyExists("x".into()), Code::AlreadyExists),
            (
                Error::FailedPrecondition("x".into()),
                Code::FailedPrecondition,
            ),
            (Error::unauthenticated("x"), Code::Unauthenticated),
            (
                Error::ResourceExhausted("x".into()),
                Code::ResourceExhausted,
            ),
            (Error::Unavailable("x".into()), Code::Unavailable),
            (Error::internal("x"), Code::Internal),
        ];
        for (err, code) in cases {
            assert_eq!(Status::from(err).code(), code);
        }
    }

    #[test]
    fn internal_detail_is_never_sent_to_the_client() {
        let status = Status::from(Error::internal(
            "connection to 10.0.0.5 refused: password=hunter2",
        ));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }

    #[test]
    fn database_failures_are_internal() {
        let err = Error::from(DbErr::Custom("disk I/O error".into()));
        assert_eq!(err.code(), Code::Internal);
    }

    #[test]
    fn client_errors_keep_their_message() {
        let status = Status::from(Error::FailedPrecondition(
            "your previous message needs 1 more reaction from another user".into(),
        ));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(status.message().contains("1 more reaction"));
    }
}
