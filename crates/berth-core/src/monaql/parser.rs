//! Recursive descent over the token list, substituting bound values as it goes.
//!
//! ```text
//! expr  := or
//! or    := and ("||" and)*
//! and   := unary ("&&" unary)*
//! unary := "!" "(" expr ")" | "(" expr ")" | cmp
//! cmp   := ident ("==" | "!=" | "<" | "<=" | ">" | ">=") value
//!        | ident ("IN" | "NIN") (list | "?")
//! value := number | string | "null" | "true" | "false" | "?"
//! list  := "[" [value ("," value)*] "]"
//! ```
//!
//! Recursion only happens when entering a group, and groups are capped at [`MAX_DEPTH`], so no input
//! can exhaust the stack.

use serde_json::Value;

use super::ast::{CompareOp, Criteria, Expr, Literal, Property, Scope, resolve_property};
use super::error::MonaqlError;
use super::lexer::{Token, TokenKind, tokenize};
use super::limits::{
    MAX_COMPARISONS, MAX_CRITERIA_CHARS, MAX_DEPTH, MAX_LIST_VALUES, MAX_STRING_CHARS,
    MAX_TOTAL_LIST_VALUES,
};

pub(super) fn parse(
    criteria: &str,
    bind_params: &[Value],
    scope: Scope,
) -> Result<Criteria, MonaqlError> {
    let length = criteria.chars().count();
    if length > MAX_CRITERIA_CHARS {
        return Err(MonaqlError::criteria(
            format!(
                "The criteria may have at most {MAX_CRITERIA_CHARS} characters; it has {length}."
            ),
            None,
        ));
    }
    let source: Vec<char> = criteria.chars().collect();
    let (tokens, lex_error) = tokenize(&source);
    let mut parser = Parser {
        source: &source,
        tokens,
        next: 0,
        bind_params,
        params_used: 0,
        scope,
        comparisons: 0,
        list_values: 0,
        failed_at_end: false,
    };
    let result = parser.criteria();
    // A syntax error before the lexical one wins; one at the cut-off point is an artefact of the cut.
    if let Some(lex_error) = lex_error
        && (result.is_ok() || parser.failed_at_end)
    {
        return Err(lex_error);
    }
    let criteria = result?;
    if parser.params_used < bind_params.len() {
        return Err(MonaqlError::bind_params(
            format!(
                "bindParams has {} but the criteria has {}.",
                count(bind_params.len(), "value", "values"),
                match parser.params_used {
                    0 => "no placeholders".to_owned(),
                    used => format!("only {}", count(used, "placeholder", "placeholders")),
                }
            ),
            None,
        ));
    }
    Ok(criteria)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

struct Parser<'a> {
    source: &'a [char],
    tokens: Vec<Token>,
    /// Index of the next unconsumed token.
    next: usize,
    bind_params: &'a [Value],
    params_used: usize,
    scope: Scope,
    comparisons: usize,
    list_values: usize,
    /// Set when an error was about running out of tokens.
    failed_at_end: bool,
}

impl<'a> Parser<'a> {
    fn criteria(&mut self) -> Result<Criteria, MonaqlError> {
        if self.tokens.is_empty() {
            return Ok(Criteria::match_all());
        }
        let root = self.or(0)?;
        match self.peek() {
            None => Ok(Criteria::from_expr(root)),
            Some(token) if token.kind == TokenKind::RightParen => Err(MonaqlError::criteria(
                format!(
                    "Unexpected \")\" at position {}; it closes no group.",
                    token.position
                ),
                Some(token.position),
            )),
            Some(_) => Err(self.expected("\"&&\" or \"||\"", "")),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|t| &t.kind)
    }

    /// Position of the next token, or just past the end of the text.
    fn position(&self) -> usize {
        self.peek()
            .map_or(self.source.len() + 1, |token| token.position)
    }

    /// `Expected {what} at position N, found X ({hint}).`, about the next token.
    fn expected(&mut self, what: &str, hint: &str) -> MonaqlError {
        self.expected_for(what, "", hint)
    }

    /// Like [`Self::expected`], with `context` right after the position.
    fn expected_for(&mut self, what: &str, context: &str, hint: &str) -> MonaqlError {
        let position = self.position();
        let found = match self.peek() {
            None => {
                self.failed_at_end = true;
                String::new()
            }
            Some(token) => format!(", found {}", self.describe(token)),
        };
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(" ({hint})")
        };
        MonaqlError::criteria(
            format!("Expected {what} at position {position}{context}{found}{hint}."),
            Some(position),
        )
    }

    /// The token as the user wrote it, shortened when long.
    fn describe(&self, token: &Token) -> String {
        const SHOWN: usize = 24;
        let start = token.position - 1;
        let end = start + token.length.min(SHOWN);
        let mut text: String = self.source[start..end].iter().collect();
        if token.length > SHOWN {
            text.push('…');
        }
        match token.kind {
            TokenKind::String(_) | TokenKind::Number(_) => text,
            _ => format!("\"{text}\""),
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, MonaqlError> {
        let mut children = vec![self.and(depth)?];
        while self.peek_kind() == Some(&TokenKind::Or) {
            self.next += 1;
            children.push(self.and(depth)?);
        }
        Ok(collapse(children, Expr::Or))
    }

    fn and(&mut self, depth: usize) -> Result<Expr, MonaqlError> {
        let mut children = vec![self.unary(depth)?];
        while self.peek_kind() == Some(&TokenKind::And) {
            self.next += 1;
            children.push(self.unary(depth)?);
        }
        Ok(collapse(children, Expr::And))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, MonaqlError> {
        match self.peek_kind() {
            Some(TokenKind::Bang) => {
                self.next += 1;
                if self.peek_kind() != Some(&TokenKind::LeftParen) {
                    return Err(self.expected(
                        "\"(\" after \"!\"",
                        "\"!\" only negates a parenthesised group",
                    ));
                }
                Ok(Expr::Not(Box::new(self.group(depth)?)))
            }
            Some(TokenKind::LeftParen) => self.group(depth),
            Some(TokenKind::Word(name)) => {
                let name = name.clone();
                let position = self.position();
                self.next += 1;
                self.comparison(name, position)
            }
            _ => Err(self.expected("a property name, \"(\" or \"!(\"", "")),
        }
    }

    /// `"(" expr ")"`, the opening parenthesis being the next token.
    fn group(&mut self, depth: usize) -> Result<Expr, MonaqlError> {
        let open = self.position();
        if depth >= MAX_DEPTH {
            return Err(MonaqlError::criteria(
                format!(
                    "Groups may be nested at most {MAX_DEPTH} deep; the group at position {open} is deeper."
                ),
                Some(open),
            ));
        }
        self.next += 1;
        let inner = self.or(depth + 1)?;
        if self.peek_kind() != Some(&TokenKind::RightParen) {
            return Err(self.expected_for(
                "\")\"",
                &format!(" to close the group opened at position {open}"),
                "",
            ));
        }
        self.next += 1;
        Ok(inner)
    }

    /// The comparison whose property name, at `position`, was just consumed.
    fn comparison(&mut self, name: String, position: usize) -> Result<Expr, MonaqlError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(MonaqlError::criteria(
                format!(
                    "The criteria may have at most {MAX_COMPARISONS} comparisons; the one at position {position} is one too many."
                ),
                Some(position),
            ));
        }
        let segments = name.split('.').map(str::to_owned).collect();
        let property = resolve_property(segments, self.scope, Some(position))?;
        let operator = self.peek().cloned();
        match operator.as_ref().map(|t| &t.kind) {
            Some(TokenKind::Compare(op)) => {
                let op = *op;
                self.next += 1;
                let value = self.value_after(op)?;
                Ok(Expr::Compare {
                    property,
                    op,
                    value,
                })
            }
            Some(TokenKind::Word(word)) if word == "IN" || word == "NIN" => {
                let negated = word == "NIN";
                self.next += 1;
                let values = self.list(if negated { "NIN" } else { "IN" })?;
                Ok(Expr::In {
                    property,
                    negated,
                    values,
                })
            }
            Some(TokenKind::Word(word)) if word == "in" || word == "nin" => Err(self.expected(
                &format!("an operator after \"{name}\""),
                "IN and NIN are upper case",
            )),
            _ => Err(self.expected(
                &format!("an operator (==, !=, <, <=, >, >=, IN or NIN) after \"{name}\""),
                "",
            )),
        }
    }

    /// The single value after a comparison operator.
    fn value_after(&mut self, op: CompareOp) -> Result<Literal, MonaqlError> {
        let position = self.position();
        match self.peek_kind() {
            Some(TokenKind::LeftBracket) => Err(MonaqlError::criteria(
                if op.is_ordering() {
                    format!(
                        "Cannot order by a list with \"{op}\" at position {position}; only numbers and strings can be ordered."
                    )
                } else {
                    format!(
                        "Cannot compare with a list using \"{op}\" at position {position}; use IN or NIN."
                    )
                },
                Some(position),
            )),
            Some(TokenKind::Placeholder) => {
                self.next += 1;
                let (index, value) = self.take_param(position)?;
                let literal = scalar_from_json(value).map_err(|kind| {
                    bind_error(
                        index,
                        position,
                        &match kind {
                            NotScalar::List => {
                                "is a list; lists are only allowed after IN or NIN".to_owned()
                            }
                            other => other.describe(),
                        },
                    )
                })?;
                if op.is_ordering() && !literal.is_orderable() {
                    return Err(bind_error(
                        index,
                        position,
                        &format!(
                            "is {}, which cannot be ordered with \"{op}\"; only numbers and strings can be",
                            literal_noun(&literal)
                        ),
                    ));
                }
                Ok(literal)
            }
            _ => {
                let Some(literal) = self.literal() else {
                    return Err(self.value_expected(&format!("a value after \"{op}\"")));
                };
                if op.is_ordering() && !literal.is_orderable() {
                    return Err(MonaqlError::criteria(
                        format!(
                            "Cannot order by {} with \"{op}\" at position {position}; only numbers and strings can be ordered.",
                            literal_noun(&literal)
                        ),
                        Some(position),
                    ));
                }
                Ok(literal)
            }
        }
    }

    /// A written literal, consumed; `None` (consuming nothing) when the next token is not one.
    fn literal(&mut self) -> Option<Literal> {
        let literal = match self.peek_kind()? {
            TokenKind::Number(number) => number.clone(),
            TokenKind::String(string) => Literal::String(string.clone()),
            TokenKind::Word(word) => match word.as_str() {
                "null" => Literal::Null,
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                _ => return None,
            },
            _ => return None,
        };
        self.next += 1;
        Some(literal)
    }

    /// The error for a missing value, with a hint when the user wrote a word.
    fn value_expected(&mut self, what: &str) -> MonaqlError {
        let hint = match self.peek_kind() {
            Some(TokenKind::Word(word))
                if ["null", "true", "false"].contains(&word.to_lowercase().as_str()) =>
            {
                "null, true and false are lower case"
            }
            Some(TokenKind::Word(_)) => "strings must be in double quotes",
            _ => "",
        };
        self.expected(what, hint)
    }

    /// The list after `IN`/`NIN`: written, or one placeholder bound to an array.
    fn list(&mut self, keyword: &str) -> Result<Vec<Literal>, MonaqlError> {
        let start = self.position();
        let bound = self.peek_kind() == Some(&TokenKind::Placeholder);
        let values = match self.peek_kind() {
            Some(TokenKind::Placeholder) => {
                self.next += 1;
                let (index, value) = self.take_param(start)?;
                let Value::Array(elements) = value else {
                    let noun = match scalar_from_json(value) {
                        Ok(literal) => literal_noun(&literal).to_owned(),
                        Err(kind) => kind.noun().to_owned(),
                    };
                    return Err(bind_error(
                        index,
                        start,
                        &format!("is {noun}, but {keyword} needs a list"),
                    ));
                };
                if elements.len() > MAX_LIST_VALUES {
                    return Err(bind_error(
                        index,
                        start,
                        &format!(
                            "has {} values; a list may have at most {MAX_LIST_VALUES}",
                            elements.len()
                        ),
                    ));
                }
                let mut values = Vec::with_capacity(elements.len());
                for (i, element) in elements.iter().enumerate() {
                    let literal = scalar_from_json(element).map_err(|kind| {
                        let problem = match kind {
                            NotScalar::List => "is a list; lists cannot be nested".to_owned(),
                            other => other.describe(),
                        };
                        MonaqlError::bind_params(
                            format!(
                                "bindParams[{index}][{i}] (in the list for the \"?\" at position {start}) {problem}."
                            ),
                            Some(start),
                        )
                    })?;
                    values.push(literal);
                }
                values
            }
            Some(TokenKind::LeftBracket) => {
                self.next += 1;
                self.written_list()?
            }
            _ => {
                return Err(self.expected(
                    &format!("a list (\"[…]\" or \"?\") after \"{keyword}\""),
                    "",
                ));
            }
        };
        self.list_values += values.len();
        if self.list_values > MAX_TOTAL_LIST_VALUES {
            let message = format!(
                "The lists of one criteria may have at most {MAX_TOTAL_LIST_VALUES} values together; the list at position {start} goes beyond."
            );
            return Err(if bound {
                MonaqlError::bind_params(message, Some(start))
            } else {
                MonaqlError::criteria(message, Some(start))
            });
        }
        Ok(values)
    }

    /// `[a, b, …]` after its opening bracket.
    fn written_list(&mut self) -> Result<Vec<Literal>, MonaqlError> {
        let mut values = Vec::new();
        if self.peek_kind() == Some(&TokenKind::RightBracket) {
            self.next += 1;
            return Ok(values);
        }
        loop {
            let position = self.position();
            if values.len() == MAX_LIST_VALUES {
                return Err(MonaqlError::criteria(
                    format!(
                        "A list may have at most {MAX_LIST_VALUES} values; the value at position {position} is one too many."
                    ),
                    Some(position),
                ));
            }
            let value = match self.peek_kind() {
                Some(TokenKind::Placeholder) => {
                    self.next += 1;
                    let (index, value) = self.take_param(position)?;
                    scalar_from_json(value).map_err(|kind| {
                        bind_error(
                            index,
                            position,
                            &match kind {
                                NotScalar::List => "is a list; lists cannot be nested".to_owned(),
                                other => other.describe(),
                            },
                        )
                    })?
                }
                Some(TokenKind::LeftBracket) => {
                    return Err(MonaqlError::criteria(
                        format!("Unexpected \"[\" at position {position}; lists cannot be nested."),
                        Some(position),
                    ));
                }
                _ => match self.literal() {
                    Some(literal) => literal,
                    None => return Err(self.value_expected("a value")),
                },
            };
            values.push(value);
            match self.peek_kind() {
                Some(TokenKind::Comma) => self.next += 1,
                Some(TokenKind::RightBracket) => {
                    self.next += 1;
                    return Ok(values);
                }
                _ => return Err(self.expected("\",\" or \"]\"", "")),
            }
        }
    }

    /// The next bound value, for the placeholder at `position`.
    fn take_param(&mut self, position: usize) -> Result<(usize, &'a Value), MonaqlError> {
        let index = self.params_used;
        let Some(value) = self.bind_params.get(index) else {
            return Err(MonaqlError::bind_params(
                format!(
                    "No value in bindParams for the \"?\" at position {position}; bindParams has {}.",
                    count(self.bind_params.len(), "value", "values")
                ),
                Some(position),
            ));
        };
        self.params_used += 1;
        Ok((index, value))
    }
}

/// One node for a single child: grouping alone adds no node.
fn collapse(mut children: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    if children.len() == 1 {
        children.remove(0)
    } else {
        make(children)
    }
}

fn bind_error(index: usize, position: usize, problem: &str) -> MonaqlError {
    MonaqlError::bind_params(
        format!("bindParams[{index}] (for the \"?\" at position {position}) {problem}."),
        Some(position),
    )
}

/// Why a JSON value cannot stand for a scalar.
enum NotScalar {
    List,
    Object,
    LongString(usize),
}

impl NotScalar {
    fn noun(&self) -> &'static str {
        match self {
            NotScalar::List => "a list",
            NotScalar::Object => "an object",
            NotScalar::LongString(_) => "a string",
        }
    }

    fn describe(&self) -> String {
        match self {
            NotScalar::List => "is a list".to_owned(),
            NotScalar::Object => {
                "is an object; only strings, numbers, true, false and null can be bound".to_owned()
            }
            NotScalar::LongString(length) => format!(
                "is a string of {length} characters; strings may have at most {MAX_STRING_CHARS}"
            ),
        }
    }
}

fn scalar_from_json(value: &Value) -> Result<Literal, NotScalar> {
    Ok(match value {
        Value::Null => Literal::Null,
        Value::Bool(b) => Literal::Bool(*b),
        Value::Number(number) => match number.as_i64() {
            Some(int) => Literal::Int(int),
            // Beyond i64 (large u64, or a fraction): as a float, like such a number written in the criteria.
            None => Literal::Float(number.as_f64().unwrap_or(f64::MAX)),
        },
        Value::String(string) => {
            let length = string.chars().count();
            if length > MAX_STRING_CHARS {
                return Err(NotScalar::LongString(length));
            }
            Literal::String(string.clone())
        }
        Value::Array(_) => return Err(NotScalar::List),
        Value::Object(_) => return Err(NotScalar::Object),
    })
}

fn literal_noun(literal: &Literal) -> &'static str {
    match literal {
        Literal::Null => "null",
        Literal::Bool(true) => "true",
        Literal::Bool(false) => "false",
        Literal::Int(_) | Literal::Float(_) => "a number",
        Literal::String(_) => "a string",
    }
}

/// Shared with [`super::parse_property`]: the same checks a name in a criteria gets.
pub(super) fn property_from_name(name: &str, scope: Scope) -> Result<Property, MonaqlError> {
    let segments: Vec<String> = name.split('.').map(str::to_owned).collect();
    if !segments.iter().all(|s| super::ast::is_identifier(s)) {
        return Err(MonaqlError::criteria(
            format!(
                "\"{name}\" is not a property name: names are letters, digits and \"_\", not starting with a digit, joined by \".\" for nested properties."
            ),
            None,
        ));
    }
    resolve_property(segments, scope, None)
}
