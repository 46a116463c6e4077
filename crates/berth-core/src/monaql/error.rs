//! The one error type of MonaQL. It names the request field at fault so the API can answer
//! `{"criteria": message}` or `{"bindParams": message}` without re-parsing anything.

use std::fmt;

/// Which request field the problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Criteria,
    BindParams,
}

impl ErrorSource {
    /// The field name as the wire protocol spells it.
    pub fn field(self) -> &'static str {
        match self {
            ErrorSource::Criteria => "criteria",
            ErrorSource::BindParams => "bindParams",
        }
    }
}

/// A rejected criteria or bind parameter list.
///
/// `message` is complete and meant for humans (it already mentions the position); `position` is the
/// 1-based character position in the criteria, when one applies, for clients that want to point at it.
// Not derived with thiserror: the brief fixes the field name `source`, which thiserror would take for
// the error's cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonaqlError {
    pub message: String,
    pub position: Option<usize>,
    pub source: ErrorSource,
}

impl MonaqlError {
    pub(crate) fn criteria(message: impl Into<String>, position: Option<usize>) -> Self {
        Self {
            message: message.into(),
            position,
            source: ErrorSource::Criteria,
        }
    }

    pub(crate) fn bind_params(message: impl Into<String>, position: Option<usize>) -> Self {
        Self {
            message: message.into(),
            position,
            source: ErrorSource::BindParams,
        }
    }
}

impl fmt::Display for MonaqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MonaqlError {}

/// A bad criteria is a bad request field like any other.
impl From<MonaqlError> for crate::Error {
    fn from(error: MonaqlError) -> Self {
        crate::Error::invalid(error.source.field(), error.message)
    }
}
