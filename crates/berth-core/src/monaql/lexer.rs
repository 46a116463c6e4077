//! Splits criteria text into tokens, each with its 1-based character position.
//!
//! Works on `char`s so positions count characters the way a user does, not UTF-8 bytes. Input length
//! is capped before lexing, so the token list is bounded too.

use super::ast::{CompareOp, Literal};
use super::error::MonaqlError;
use super::limits::MAX_STRING_CHARS;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    /// A property name (possibly dotted) or a keyword (`IN`, `NIN`, `null`, `true`, `false`); the parser
    /// decides by context, so a data property may be called `null`.
    Word(String),
    Number(Literal),
    String(String),
    Compare(CompareOp),
    And,
    Or,
    Bang,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Placeholder,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// 1-based character position of the first character.
    pub position: usize,
    /// Character count in the source, to quote the token in messages.
    pub length: usize,
}

/// The tokens up to the first lexical error, and that error. The parser reports a syntax error found
/// before the bad spot in preference, so the user always hears about the leftmost problem.
pub(super) fn tokenize(source: &[char]) -> (Vec<Token>, Option<MonaqlError>) {
    let mut lexer = Lexer { source, at: 0 };
    let mut tokens = Vec::new();
    loop {
        match lexer.next_token() {
            Ok(Some(token)) => tokens.push(token),
            Ok(None) => return (tokens, None),
            Err(error) => return (tokens, Some(error)),
        }
    }
}

struct Lexer<'a> {
    source: &'a [char],
    /// 0-based index of the next character.
    at: usize,
}

/// `{subject} at position N.`, or `{subject} at position N; {hint}.`
fn error_at(subject: impl Into<String>, index: usize, hint: &str) -> MonaqlError {
    let position = index + 1;
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    };
    MonaqlError::criteria(
        format!("{} at position {position}{hint}.", subject.into()),
        Some(position),
    )
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.source.get(self.at + offset).copied()
    }

    fn next_token(&mut self) -> Result<Option<Token>, MonaqlError> {
        while self
            .peek()
            .is_some_and(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            self.at += 1;
        }
        let start = self.at;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let two = |lexer: &mut Self, kind| {
            lexer.at += 2;
            Ok(kind)
        };
        let one = |lexer: &mut Self, kind| {
            lexer.at += 1;
            Ok(kind)
        };
        let next = self.peek_at(1);
        let kind = match (c, next) {
            ('=', Some('=')) => two(self, TokenKind::Compare(CompareOp::Eq)),
            ('!', Some('=')) => two(self, TokenKind::Compare(CompareOp::Ne)),
            ('<', Some('=')) => two(self, TokenKind::Compare(CompareOp::Le)),
            ('>', Some('=')) => two(self, TokenKind::Compare(CompareOp::Ge)),
            ('<', _) => one(self, TokenKind::Compare(CompareOp::Lt)),
            ('>', _) => one(self, TokenKind::Compare(CompareOp::Gt)),
            ('&', Some('&')) => two(self, TokenKind::And),
            ('|', Some('|')) => two(self, TokenKind::Or),
            ('!', _) => one(self, TokenKind::Bang),
            ('(', _) => one(self, TokenKind::LeftParen),
            (')', _) => one(self, TokenKind::RightParen),
            ('[', _) => one(self, TokenKind::LeftBracket),
            (']', _) => one(self, TokenKind::RightBracket),
            (',', _) => one(self, TokenKind::Comma),
            ('?', _) => one(self, TokenKind::Placeholder),
            ('=', _) => Err(error_at("Unexpected \"=\"", start, "compare with \"==\"")),
            ('&', _) => Err(error_at("Unexpected \"&\"", start, "use \"&&\"")),
            ('|', _) => Err(error_at("Unexpected \"|\"", start, "use \"||\"")),
            ('\'', _) => Err(error_at(
                "Unexpected single quote",
                start,
                "strings must be in double quotes",
            )),
            ('"', _) => self.string().map(TokenKind::String),
            (c, _) if c == '-' || c.is_ascii_digit() => self.number().map(TokenKind::Number),
            (c, _) if is_word_start(c) => self.word().map(TokenKind::Word),
            (c, _) => Err(error_at(
                format!("Unexpected character {}", quote_char(c)),
                start,
                "",
            )),
        }?;
        Ok(Some(Token {
            kind,
            position: start + 1,
            length: self.at - start,
        }))
    }

    /// `segment ("." segment)*`, each segment `[A-Za-z_][A-Za-z0-9_]*`.
    fn word(&mut self) -> Result<String, MonaqlError> {
        let start = self.at;
        loop {
            // The caller or the previous iteration checked that a segment starts here.
            while self.peek().is_some_and(is_word_char) {
                self.at += 1;
            }
            if self.peek() != Some('.') {
                break;
            }
            self.at += 1;
            if !self.peek().is_some_and(is_word_start) {
                return Err(error_at(
                    "Expected a property name after \".\"",
                    self.at,
                    "names start with a letter or \"_\"",
                ));
            }
        }
        Ok(self.source[start..self.at].iter().collect())
    }

    /// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`; integers beyond i64 become floats.
    fn number(&mut self) -> Result<Literal, MonaqlError> {
        let start = self.at;
        if self.peek() == Some('-') {
            self.at += 1;
        }
        let digits = |lexer: &mut Self, after: &str| {
            let from = lexer.at;
            while lexer.peek().is_some_and(|c| c.is_ascii_digit()) {
                lexer.at += 1;
            }
            if lexer.at == from {
                Err(error_at(
                    format!("Expected a digit after {after}"),
                    lexer.at,
                    "",
                ))
            } else {
                Ok(())
            }
        };
        digits(self, "\"-\"")?;
        let mut is_float = false;
        if self.peek() == Some('.') {
            self.at += 1;
            digits(self, "the decimal point")?;
            is_float = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.at += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.at += 1;
            }
            digits(self, "the exponent")?;
            is_float = true;
        }
        if self.peek().is_some_and(|c| is_word_char(c) || c == '.') {
            return Err(error_at("Invalid number", start, ""));
        }
        let text: String = self.source[start..self.at].iter().collect();
        if !is_float && let Ok(int) = text.parse::<i64>() {
            return Ok(Literal::Int(int));
        }
        match text.parse::<f64>() {
            Ok(float) if float.is_finite() => Ok(Literal::Float(float)),
            _ => Err(error_at(
                format!("The number {text}"),
                start,
                "it is out of range",
            )),
        }
    }

    /// A double-quoted string with JSON escapes.
    fn string(&mut self) -> Result<String, MonaqlError> {
        let start = self.at;
        self.at += 1;
        let mut value = String::new();
        let mut chars = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(error_at("Unterminated string starting", start, ""));
            };
            self.at += 1;
            let decoded = match c {
                '"' => break,
                '\\' => self.escape()?,
                c => c,
            };
            chars += 1;
            if chars > MAX_STRING_CHARS {
                return Err(error_at(
                    "The string starting",
                    start,
                    &format!("strings may have at most {MAX_STRING_CHARS} characters"),
                ));
            }
            value.push(decoded);
        }
        Ok(value)
    }

    /// Decodes the escape whose backslash was just consumed.
    fn escape(&mut self) -> Result<char, MonaqlError> {
        let backslash = self.at - 1;
        let Some(c) = self.peek() else {
            return Err(error_at("Unterminated escape sequence", backslash, ""));
        };
        self.at += 1;
        Ok(match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = self.hex4(backslash)?;
                if (0xDC00..0xE000).contains(&high) {
                    return Err(unpaired(backslash));
                }
                if (0xD800..0xDC00).contains(&high) {
                    if self.peek() != Some('\\') || self.peek_at(1) != Some('u') {
                        return Err(unpaired(backslash));
                    }
                    let low_start = self.at;
                    self.at += 2;
                    let low = self.hex4(low_start)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(unpaired(backslash));
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code).ok_or_else(|| unpaired(backslash))?
                } else {
                    char::from_u32(high).ok_or_else(|| unpaired(backslash))?
                }
            }
            other => {
                return Err(error_at(
                    format!("Invalid escape \"\\{other}\" in a string"),
                    backslash,
                    "strings use JSON escapes",
                ));
            }
        })
    }

    fn hex4(&mut self, escape_start: usize) -> Result<u32, MonaqlError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                error_at(
                    "Invalid \\u escape",
                    escape_start,
                    "expected four hexadecimal digits",
                )
            })?;
            self.at += 1;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

fn unpaired(backslash: usize) -> MonaqlError {
    error_at("Unpaired surrogate in a \\u escape", backslash, "")
}

/// Quotes one character for a message, spelling out the invisible ones.
fn quote_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\"")
    }
}
