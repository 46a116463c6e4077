//! Optimistic concurrency as the domain sees it; HTTP's If-Match is parsed into this at the edge.

/// What a write requires of the current version of the resource it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No condition was given: write unconditionally.
    None,
    /// `If-Match: *`: the resource must exist; any version will do.
    Any,
    /// `If-Match: "3", "4"`: the current version must be one of these. An entity tag that is not one
    /// of ours (not an integer) can never match, so it is simply absent from the list.
    OneOf(Vec<i64>),
}

impl Precondition {
    pub fn allows(&self, current_version: i64) -> bool {
        match self {
            Precondition::None | Precondition::Any => true,
            Precondition::OneOf(versions) => versions.contains(&current_version),
        }
    }

    /// True when the caller named a specific version, so a concurrent change must not be retried
    /// over but reported as a failed precondition.
    pub fn is_specific(&self) -> bool {
        matches!(self, Precondition::OneOf(_))
    }
}
