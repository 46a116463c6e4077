//! Bounds on hostile input. Every one keeps parsing, evaluation and the compiled SQL small: criteria
//! arrive from any app user, so none of these may depend on trusting the client.

/// Characters in the criteria text.
pub const MAX_CRITERIA_CHARS: usize = 10_000;
/// Nested groups (`(…)` and `!(…)`); also bounds the parser's recursion.
pub const MAX_DEPTH: usize = 32;
/// Comparisons (`a == 1`, `a IN […]`) in one criteria.
pub const MAX_COMPARISONS: usize = 256;
/// Values in one `IN`/`NIN` list, written or bound.
pub const MAX_LIST_VALUES: usize = 1_000;
/// Values in all lists of one criteria together. Without it, 256 bound lists of 1,000 values would
/// exceed what a database accepts as query parameters (SQLite: 32,766; PostgreSQL: 65,535).
pub const MAX_TOTAL_LIST_VALUES: usize = 10_000;
/// Characters in one string value, written or bound.
pub const MAX_STRING_CHARS: usize = 10_000;
