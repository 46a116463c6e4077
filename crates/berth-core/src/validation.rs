//! Field rules shared by every surface that accepts the same kind of value.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::FieldProblem;

static ASSET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9_]*$").expect("valid regex"));
static ASSET_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9][\w.]*$").expect("valid regex"));

pub const ASSET_NAME_MAX: usize = 100;
pub const ASSET_VERSION_MAX: usize = 100;
pub const ASSET_DESC_MAX: usize = 100;
pub const ASSET_TITLE_MAX: usize = 255;
pub const ACTION_COMMENT_MAX: usize = 1000;
pub const ROLE_NAME_MAX: usize = 100;

/// Collects every problem of one input, so a client sees them all in one answer.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldProblem::new(field, message));
    }

    pub fn check_length(&mut self, field: &str, value: &str, max: usize) {
        let length = value.chars().count();
        if length > max {
            self.add(
                field,
                format!("The {field} must be at most {max} characters long; it has {length}."),
            );
        }
    }

    pub fn check_pattern(&mut self, field: &str, value: &str, pattern: &Regex, human: &str) {
        if !pattern.is_match(value) {
            self.add(
                field,
                format!(
                    "The {field} \"{value}\" does not match {}: {human}.",
                    pattern.as_str()
                ),
            );
        }
    }

    pub fn into_result(self) -> crate::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Invalid(self.0))
        }
    }
}

pub fn check_asset_name(problems: &mut Problems, name: &str) {
    if name.is_empty() {
        problems.add("name", "The name is required.");
        return;
    }
    problems.check_length("name", name, ASSET_NAME_MAX);
    problems.check_pattern(
        "name",
        name,
        &ASSET_NAME,
        "a letter followed by letters, digits or underscores",
    );
}

pub fn check_asset_version(problems: &mut Problems, version: &str) {
    if version.is_empty() {
        problems.add("version", "The version must not be empty.");
        return;
    }
    problems.check_length("version", version, ASSET_VERSION_MAX);
    problems.check_pattern(
        "version",
        version,
        &ASSET_VERSION,
        "a letter or digit followed by letters, digits, underscores or dots",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(check: impl Fn(&mut Problems)) -> usize {
        let mut problems = Problems::new();
        check(&mut problems);
        problems.0.len()
    }

    #[test]
    fn asset_names_follow_the_oracle_pattern() {
        assert_eq!(problems_of(|p| check_asset_name(p, "FixItFast_2")), 0);
        assert_eq!(problems_of(|p| check_asset_name(p, "2Fix")), 1);
        assert_eq!(problems_of(|p| check_asset_name(p, "fix-it")), 1);
        assert_eq!(problems_of(|p| check_asset_name(p, "")), 1);
        assert_eq!(problems_of(|p| check_asset_name(p, &"a".repeat(100))), 0);
        assert_eq!(problems_of(|p| check_asset_name(p, &"a".repeat(101))), 1);
    }

    #[test]
    fn asset_versions_follow_the_oracle_pattern() {
        assert_eq!(problems_of(|p| check_asset_version(p, "1.0")), 0);
        assert_eq!(problems_of(|p| check_asset_version(p, "v2_beta.3")), 0);
        assert_eq!(problems_of(|p| check_asset_version(p, ".1")), 1);
        assert_eq!(problems_of(|p| check_asset_version(p, "1 0")), 1);
        assert_eq!(problems_of(|p| check_asset_version(p, &"1".repeat(101))), 1);
    }
}
