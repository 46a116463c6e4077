//! MonaQL, the criteria language of Monaca Backend (`name == ? && age > 20`), see the spec §7.
//!
//! [`parse`] turns criteria text and its bound values into a [`Criteria`] tree; [`Criteria::matches`]
//! evaluates it in memory and defines what it means. Stores compile the same tree to their own query
//! language and must agree with the evaluator exactly.

mod ast;
mod error;
mod eval;
mod lexer;
pub mod limits;
mod parser;

#[cfg(test)]
mod tests;

pub use ast::{CompareOp, Criteria, Expr, Literal, Property, Scope, SystemProperty, is_identifier};
pub use error::{ErrorSource, MonaqlError};
pub use eval::lookup;

/// Parses `criteria`, filling its `?` placeholders from `bind_params` in order.
///
/// Empty or blank criteria match everything. Unused or missing bind values are errors, as are values
/// that cannot stand where their placeholder is (an object anywhere, a list outside `IN`/`NIN`).
pub fn parse(
    criteria: &str,
    bind_params: &[serde_json::Value],
    scope: Scope,
) -> Result<Criteria, MonaqlError> {
    parser::parse(criteria, bind_params, scope)
}

/// Parses a lone property name, as sort keys name them (`score`, `address.city`, `_createdAt`).
///
/// Errors say [`ErrorSource::Criteria`] and carry no position; the caller knows which field the name
/// came from (e.g. `orderBy`).
pub fn parse_property(name: &str, scope: Scope) -> Result<Property, MonaqlError> {
    parser::property_from_name(name, scope)
}
