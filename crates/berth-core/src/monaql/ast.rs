//! The typed syntax tree of a parsed criteria, and its printing back to MonaQL.
//!
//! Bound values are already substituted: the tree never holds a placeholder, so evaluators and
//! compilers have a single shape to handle.

use std::fmt;

use super::error::MonaqlError;

/// Which kind of record a criteria filters; it decides which system properties exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Collection items.
    Item,
    /// Users of a backend.
    User,
}

impl Scope {
    /// The system properties of this scope, in the order error messages list them.
    pub fn system_properties(self) -> &'static [SystemProperty] {
        match self {
            Scope::Item => &[
                SystemProperty::Id,
                SystemProperty::OwnerUserOid,
                SystemProperty::OwnerDeviceOid,
                SystemProperty::CreatedAt,
                SystemProperty::UpdatedAt,
            ],
            Scope::User => &[
                SystemProperty::Id,
                SystemProperty::Username,
                SystemProperty::CreatedAt,
                SystemProperty::UpdatedAt,
            ],
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Scope::Item => "collection items",
            Scope::User => "users",
        }
    }

    /// Resolves an underscore name; `_oid` is the users' historical name of `_id`.
    fn system_property(self, name: &str) -> Option<SystemProperty> {
        if self == Scope::User && name == "_oid" {
            return Some(SystemProperty::Id);
        }
        self.system_properties()
            .iter()
            .copied()
            .find(|p| p.name() == name)
    }
}

/// Properties the server maintains; their names start with `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemProperty {
    Id,
    OwnerUserOid,
    OwnerDeviceOid,
    /// Milliseconds since the epoch.
    CreatedAt,
    /// Milliseconds since the epoch.
    UpdatedAt,
    Username,
}

impl SystemProperty {
    pub fn name(self) -> &'static str {
        match self {
            SystemProperty::Id => "_id",
            SystemProperty::OwnerUserOid => "_ownerUserOid",
            SystemProperty::OwnerDeviceOid => "_ownerDeviceOid",
            SystemProperty::CreatedAt => "_createdAt",
            SystemProperty::UpdatedAt => "_updatedAt",
            SystemProperty::Username => "_username",
        }
    }
}

/// What a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Property {
    System(SystemProperty),
    /// A data property: one segment per level of nesting (`address.city` → `["address", "city"]`).
    /// Every segment matches `[A-Za-z_][A-Za-z0-9_]*`, which stores rely on to write paths literally.
    Data(Vec<String>),
}

/// Whether `segment` is a valid path segment: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Public because SQL compilers write data paths into the query text and must re-check them.
pub fn is_identifier(segment: &str) -> bool {
    let mut chars = segment.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Resolves a (possibly dotted) name whose segments are already known to be identifiers;
/// `position` is where the name starts in the criteria, if it came from one.
pub(crate) fn resolve_property(
    segments: Vec<String>,
    scope: Scope,
    position: Option<usize>,
) -> Result<Property, MonaqlError> {
    let first = segments.first().map_or("", String::as_str);
    if !first.starts_with('_') {
        return Ok(Property::Data(segments));
    }
    let at = position.map_or(String::new(), |p| format!(" at position {p}"));
    let Some(system) = scope.system_property(first) else {
        let allowed: Vec<&str> = scope.system_properties().iter().map(|p| p.name()).collect();
        return Err(MonaqlError::criteria(
            format!(
                "Unknown system property \"{first}\"{at}; {} have {}.",
                scope.noun(),
                allowed.join(", ")
            ),
            position,
        ));
    };
    if segments.len() > 1 {
        return Err(MonaqlError::criteria(
            format!("The system property \"{first}\"{at} has no nested properties."),
            position,
        ));
    }
    Ok(Property::System(system))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// `<`, `<=`, `>`, `>=`: only numbers and strings can be ordered.
    pub fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// A scalar value, written in the criteria or bound from `bindParams`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    /// Always finite when produced by the parser.
    Float(f64),
    String(String),
}

impl Literal {
    pub(crate) fn is_orderable(&self) -> bool {
        matches!(
            self,
            Literal::Int(_) | Literal::Float(_) | Literal::String(_)
        )
    }
}

/// A boolean condition over one document.
///
/// The parser keeps the grouping the user wrote (`(a && b) && c` is an `And` inside an `And`) and only
/// produces `And`/`Or` with at least two children; hand-built trees may have fewer (an empty `And` is
/// true, an empty `Or` false).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        property: Property,
        op: CompareOp,
        value: Literal,
    },
    /// `IN` (or `NIN` when `negated`).
    In {
        property: Property,
        negated: bool,
        values: Vec<Literal>,
    },
}

/// A parsed criteria: no condition at all (empty text) matches every document.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria {
    root: Option<Expr>,
}

impl Criteria {
    pub fn match_all() -> Self {
        Self { root: None }
    }

    pub fn from_expr(root: Expr) -> Self {
        Self { root: Some(root) }
    }

    pub fn root(&self) -> Option<&Expr> {
        self.root.as_ref()
    }

    pub fn into_root(self) -> Option<Expr> {
        self.root
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Property::System(p) => f.write_str(p.name()),
            Property::Data(segments) => f.write_str(&segments.join(".")),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            // `{:?}` is the shortest text that reads back to the same f64 and always has a `.` or an
            // exponent, so it parses back as a float, not an integer.
            Literal::Float(x) if x.is_finite() => write!(f, "{x:?}"),
            // MonaQL has no spelling for these; the parser never produces them.
            Literal::Float(_) => f.write_str("null"),
            Literal::String(s) => f.write_str(&serde_json::Value::from(s.as_str()).to_string()),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // No MonaQL spelling for constant truth; these comparisons are constant on any record.
            Expr::And(children) if children.is_empty() => f.write_str("_id NIN []"),
            Expr::Or(children) if children.is_empty() => f.write_str("_id IN []"),
            Expr::And(children) => write_joined(f, children, " && ", |c| {
                matches!(c, Expr::And(_) | Expr::Or(_))
            }),
            // `&&` binds tighter, so an `And` needs no parentheses inside an `Or`.
            Expr::Or(children) => write_joined(f, children, " || ", |c| matches!(c, Expr::Or(_))),
            Expr::Not(inner) => write!(f, "!({inner})"),
            Expr::Compare {
                property,
                op,
                value,
            } => write!(f, "{property} {op} {value}"),
            Expr::In {
                property,
                negated,
                values,
            } => {
                let keyword = if *negated { "NIN" } else { "IN" };
                write!(f, "{property} {keyword} [")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("]")
            }
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    children: &[Expr],
    separator: &str,
    needs_parentheses: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        // A lone child is printed as is: grouping it would change nothing.
        if children.len() > 1 && needs_parentheses(child) {
            write!(f, "({child})")?;
        } else {
            write!(f, "{child}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Criteria {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.root {
            None => Ok(()),
            Some(root) => write!(f, "{root}"),
        }
    }
}
