//! Database URLs fit for logs and error messages.

/// `url` with every password replaced by `***`: the one after `user:` in the authority part, and any
/// `password=` query parameter. Works on malformed URLs too, since those are the ones that end up in
/// error messages.
pub fn redact(url: &str) -> String {
    let parts = Parts::of(url);
    let mut redacted = parts.before_password.to_owned();
    if parts.password.is_some() {
        redacted.push_str("***");
    }
    redacted.push_str(parts.host_and_path);
    if let Some(query) = parts.query {
        redacted.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_password_parameter(name) => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        redacted.push_str(&pairs.join("&"));
    }
    redacted
}

/// The passwords `url` carries, as written (percent-encoded or not) and decoded, so that an error
/// message that quotes part of the URL can be scrubbed of them.
pub(crate) fn secrets_in(url: &str) -> Vec<String> {
    let parts = Parts::of(url);
    let mut secrets: Vec<String> = parts.password.map(str::to_owned).into_iter().collect();
    for pair in parts.query.unwrap_or("").split('&') {
        if let Some((name, value)) = pair.split_once('=')
            && is_password_parameter(name)
        {
            secrets.push(value.to_owned());
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// `text` with every secret of `url` replaced by `***`.
pub(crate) fn scrub(text: &str, url: &str) -> String {
    let mut text = text.to_owned();
    for secret in secrets_in(url) {
        text = text.replace(&secret, "***");
    }
    text
}

fn is_password_parameter(name: &str) -> bool {
    name.eq_ignore_ascii_case("password")
}

/// `scheme://user:password@host:port/path?query`, split leniently: a password may hold `@`, `/` or
/// `?` when it is not percent-encoded, so the credentials end at the *last* `@`. When in doubt, more
/// is taken for the password, never less.
struct Parts<'a> {
    /// Up to and including `user:`.
    before_password: &'a str,
    password: Option<&'a str>,
    /// From the `@` (or the start of the authority) to the query.
    host_and_path: &'a str,
    query: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn of(url: &'a str) -> Self {
        let authority = url.find("://").map_or(0, |at| at + 3);
        let (before_password, password, rest) = match url[authority..].rfind('@') {
            Some(at) => {
                let at = authority + at;
                match url[authority..at].find(':') {
                    Some(colon) => {
                        let colon = authority + colon;
                        (&url[..=colon], Some(&url[colon + 1..at]), &url[at..])
                    }
                    None => (&url[..at], None, &url[at..]),
                }
            }
            None => (&url[..authority], None, &url[authority..]),
        };
        let (host_and_path, query) = match rest.split_once('?') {
            Some((host_and_path, query)) => (host_and_path, Some(query)),
            None => (rest, None),
        };
        Self {
            before_password,
            password,
            host_and_path,
            query,
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(value) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{redact, scrub};

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://u:p@ss@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=secret"),
            "postgres://h/db?sslmode=require&password=***"
        );
        assert_eq!(
            redact("postgres://u:a:b@h/db?Password=x"),
            "postgres://u:***@h/db?Password=***"
        );
        assert_eq!(redact("postgres://u:pa?ss/w@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("mysql://u:secret@h"), "mysql://u:***@h");
        assert_eq!(redact("u:secret@h"), "u:***@h");
        assert_eq!(redact("nothing"), "nothing");
    }

    #[test]
    fn error_texts_are_scrubbed_of_every_form_of_the_password() {
        let url = "postgres://u:s%40cret@h/db?password=other";
        assert_eq!(
            scrub("bad s%40cret, s@cret and other", url),
            "bad ***, *** and ***"
        );
        assert_eq!(scrub("nothing here", "postgres://h/db"), "nothing here");
    }
}
