//! Secrets out of the text an OpenAI member hands out. The member knows its secrets: the
//! API key, the credentials in its `base_url` (userinfo, secret-looking query values) and
//! what reqwest derives from them (the `Basic` authorization header). An endpoint may echo
//! any of them back (a 401 that quotes the request headers), and reqwest puts the URL in
//! its errors, so every text that leaves the member (its error, its output, its retry
//! notices) goes through [`Secrets::redact`], and a URL is shown only as [`Secrets::url`]
//! makes it: userinfo dropped, every query value replaced. The redaction itself is the
//! model's [`Redactor`], which the store uses for database passwords too.

use base64::Engine as _;
use percent_encoding::percent_decode_str;
use reqwest::Url;
use serde_json::Value as Json;
use teamtune_model::{REDACTED, Redactor};

/// Query parameter names whose values are credentials (matched as parts of the lowercased
/// name: `api_key`, `apikey`, `x-api-key`, `access_token`, `sig`, `signature`, ...).
const SECRET_QUERY_NAMES: &[&str] = &[
    "key", "token", "secret", "sig", "pass", "pwd", "auth", "cred", "session",
];

/// The secrets of one endpoint.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets(Redactor);

impl Secrets {
    /// The secrets of an endpoint at `base_url` called with `api_key`.
    pub fn for_endpoint(base_url: &Url, api_key: Option<&str>) -> Secrets {
        let mut values: Vec<String> = Vec::new();
        if let Some(key) = api_key {
            values.push(key.to_string());
        }
        let user = base_url.username();
        let password = base_url.password();
        // A password makes the user name an identity, not a secret; a user name alone is
        // a token (`https://TOKEN@host`).
        match password {
            Some(p) => push_encoded(&mut values, p),
            None => push_encoded(&mut values, user),
        }
        if !user.is_empty() || password.is_some() {
            // reqwest turns the userinfo into `Authorization: Basic base64(user:password)`.
            let plain = format!(
                "{}:{}",
                decoded(user),
                password.map(decoded).unwrap_or_default()
            );
            values.push(base64::engine::general_purpose::STANDARD.encode(plain));
        }
        for pair in base_url.query().unwrap_or("").split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decoded(name).to_ascii_lowercase();
            if SECRET_QUERY_NAMES.iter().any(|s| name.contains(s)) {
                push_encoded(&mut values, value);
            }
        }
        Secrets(Redactor::new(values))
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        self.0.redact(text)
    }

    /// At most `max_chars` characters of `text`, redacted before it is cut.
    pub fn excerpt(&self, text: &str, max_chars: usize) -> String {
        self.0.excerpt(text, max_chars)
    }

    /// `value` with every string in it (object keys too) redacted.
    pub fn redact_json(&self, value: Json) -> Json {
        self.0.redact_json(value)
    }

    /// `url` fit to show: no userinfo, every query value replaced by [`REDACTED`]. (A
    /// secret in the path goes when the text it is put in is redacted.)
    pub fn url(url: &Url) -> String {
        let mut shown = url.clone();
        // Only fails for URLs that cannot have userinfo (`data:`), which have none.
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        if let Some(query) = url.query() {
            let names: Vec<&str> = query
                .split('&')
                .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
                .collect();
            let redacted: Vec<String> = names.iter().map(|n| format!("{n}={REDACTED}")).collect();
            shown.set_query(Some(&redacted.join("&")));
        }
        shown.into()
    }
}

/// Both spellings of a URL component: as written (percent-encoded) and decoded, the one
/// reqwest sends and an endpoint may echo.
fn push_encoded(values: &mut Vec<String>, raw: &str) {
    values.push(raw.to_string());
    values.push(decoded(raw));
}

fn decoded(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_api_key_is_redacted_wherever_it_appears() {
        let s = Secrets::for_endpoint(&url("http://h/v1"), Some("sk-canary"));
        assert_eq!(
            s.redact("authorization: Bearer sk-canary\nagain:sk-canarysk-canary"),
            "authorization: Bearer [redacted]\nagain:[redacted][redacted]"
        );
        assert_eq!(s.redact("no secret here"), "no secret here");
    }

    #[test]
    fn userinfo_password_and_the_basic_header_are_secrets_but_not_the_user_name() {
        let s = Secrets::for_endpoint(&url("http://user:can%40ary@h/v1"), None);
        // base64("user:can@ary") is what reqwest sends.
        let basic = base64::engine::general_purpose::STANDARD.encode("user:can@ary");
        let text = format!("user said can%40ary, can@ary, Basic {basic}");
        assert_eq!(
            s.redact(&text),
            "user said [redacted], [redacted], Basic [redacted]"
        );
    }

    #[test]
    fn a_user_name_without_a_password_is_a_token() {
        let s = Secrets::for_endpoint(&url("https://tok3n@h/v1"), None);
        assert_eq!(s.redact("got tok3n"), "got [redacted]");
    }

    #[test]
    fn secret_query_values_are_redacted_and_others_are_not() {
        let s = Secrets::for_endpoint(
            &url("http://h/v1?key=k1&api-version=2024-06&access_token=t%2B1&X-Sig=s9&mode=fast"),
            None,
        );
        assert_eq!(
            s.redact("k1 t+1 t%2B1 s9 2024-06 fast"),
            "[redacted] [redacted] [redacted] [redacted] 2024-06 fast"
        );
    }

    #[test]
    fn a_shown_url_has_no_userinfo_and_no_query_values() {
        let u = url("http://user:pw@h:8080/v1/chat?key=k1&api-version=2024");
        assert_eq!(
            Secrets::url(&u),
            "http://h:8080/v1/chat?key=[redacted]&api-version=[redacted]"
        );
        let plain = url("http://h/v1");
        assert_eq!(Secrets::url(&plain), "http://h/v1");
    }

    #[test]
    fn no_secrets_leave_text_alone() {
        let s = Secrets::for_endpoint(&url("http://h/v1"), None);
        assert_eq!(s.redact("a ü text"), "a ü text");
        assert_eq!(
            s.redact_json(serde_json::json!("x")),
            serde_json::json!("x")
        );
    }
}
