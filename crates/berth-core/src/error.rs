//! Errors of the domain layer. Each API surface maps these once, in one place, to its own wire format.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// One rejected input field, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was understood but its content breaks the rules; every problem is listed.
    #[error("{}", summarize(.0))]
    Invalid(Vec<FieldProblem>),
    /// `field` names the request member that named the missing thing (e.g. `collectionName`), for
    /// APIs that report problems per parameter.
    #[error("{message}")]
    NotFound {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    AlreadyExists {
        field: &'static str,
        message: String,
    },
    /// The caller may not do this to this resource.
    #[error("{0}")]
    PermissionDenied(String),
    /// Too many attempts (e.g. failed logins) in a short time; try again later.
    #[error("{0}")]
    RateLimited(String),
    /// The request clashes with the resource's state (for example, changing a trashed backend).
    #[error("{0}")]
    Conflict(String),
    #[error("the resource has version {current_version}, which the precondition does not allow")]
    PreconditionFailed { current_version: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldProblem::new(field, message)])
    }

    pub fn not_found(field: &'static str, message: impl Into<String>) -> Self {
        Error::NotFound {
            field,
            message: message.into(),
        }
    }

    pub fn already_exists(field: &'static str, message: impl Into<String>) -> Self {
        Error::AlreadyExists {
            field,
            message: message.into(),
        }
    }
}

fn summarize(problems: &[FieldProblem]) -> String {
    match problems {
        [] => "The request is not valid.".to_owned(),
        [one] => one.message.clone(),
        many => many
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Errors every store reports in the same terms, whatever its database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names the rule (e.g. "backend name and version").
    #[error("already exists: {0}")]
    AlreadyExists(&'static str),
    /// A conditional write found another version than the one it expected.
    #[error("the stored version changed concurrently")]
    VersionConflict,
    /// The database could not be reached or is overloaded; retrying may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Source),
    #[error("storage failure: {0}")]
    Internal(#[source] Source),
}
