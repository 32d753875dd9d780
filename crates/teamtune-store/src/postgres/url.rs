//! [`PostgresUrl`]: a `postgres://user:password@host:port/db?sslmode=...` URL, parsed once
//! into the client's configuration, with the two things teamtune needs around it: the form
//! fit to show (the password dropped) and the [`Redactor`] that keeps the password out of
//! every message a server or the driver hands back.
//!
//! teamtune reads two query parameters itself, as libpq does, the rest go to the client:
//! `sslmode` ([`TlsMode`]: whether to use TLS and how much of the server's certificate to
//! check) and `sslrootcert=FILE` (a PEM file of the certificates to trust instead of the
//! system's).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use teamtune_model::Redactor;
use tokio_postgres::config::Host;

use crate::StoreError;

const SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// libpq's `sslmode`: whether the connection uses TLS, and what of the server's certificate
/// is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it (the default); the certificate is not checked.
    Prefer,
    /// TLS or no connection; the certificate is not checked, unless `sslrootcert` is given
    /// (then as `verify-ca`).
    Require,
    /// TLS, with a certificate signed by a trusted authority (any host name).
    VerifyCa,
    /// TLS, with a certificate signed by a trusted authority for the host connected to.
    VerifyFull,
}

/// What of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    Nothing,
    Chain,
    ChainAndHost,
}

/// A parsed PostgreSQL URL. Its `Display` and `Debug` never show the password.
#[derive(Clone)]
pub struct PostgresUrl {
    config: tokio_postgres::Config,
    shown: String,
    redactor: Redactor,
    root_cert: Option<PathBuf>,
    tls: TlsMode,
    /// The text as given (password included), for equality only.
    raw: String,
}

impl PostgresUrl {
    /// Whether `text` is meant as a PostgreSQL URL (by its scheme).
    pub fn is_postgres(text: &str) -> bool {
        SCHEMES
            .iter()
            .any(|s| text.len() >= s.len() && text[..s.len()].eq_ignore_ascii_case(s))
    }

    /// The client's configuration.
    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Whether the connection may or must use TLS.
    pub(crate) fn wants_tls(&self) -> bool {
        self.tls != TlsMode::Disable
    }

    /// What of the server's certificate is checked, as libpq does for the `sslmode`.
    pub(crate) fn verify(&self) -> Verify {
        match self.tls {
            TlsMode::Disable | TlsMode::Prefer => Verify::Nothing,
            TlsMode::Require if self.root_cert.is_some() => Verify::Chain,
            TlsMode::Require => Verify::Nothing,
            TlsMode::VerifyCa => Verify::Chain,
            TlsMode::VerifyFull => Verify::ChainAndHost,
        }
    }

    /// The PEM file of certificates to trust (`sslrootcert`), if given.
    pub(crate) fn root_cert(&self) -> Option<&PathBuf> {
        self.root_cert.as_ref()
    }

    /// `text` with the password taken out.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    fn bad(shown: &str, problem: impl Into<String>) -> StoreError {
        StoreError::BadUrl {
            url: shown.to_string(),
            problem: problem.into(),
        }
    }
}

impl FromStr for PostgresUrl {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (shown, mut secrets) = without_password(text);
        // From here on every message is redacted: a malformed URL may still hold the
        // password somewhere the splitting above did not expect.
        if !PostgresUrl::is_postgres(text) {
            return Err(PostgresUrl::bad(&shown, "it must start with postgres://"));
        }
        let (base, query) = match text.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (text, None),
        };
        let mut root_cert = None;
        let mut tls = TlsMode::Prefer;
        let mut passed = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decoded(key);
            match key.as_str() {
                "sslrootcert" => root_cert = Some(PathBuf::from(decoded(value))),
                "sslmode" => {
                    let mode = decoded(value);
                    tls = match mode.as_str() {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" => TlsMode::VerifyCa,
                        "verify-full" => TlsMode::VerifyFull,
                        _ => {
                            return Err(PostgresUrl::bad(
                                &redactor_of(&secrets).redact(&shown),
                                format!(
                                    "sslmode `{}` is not one of disable, allow, prefer, require, verify-ca, verify-full",
                                    redactor_of(&secrets).redact(&mode)
                                ),
                            ));
                        }
                    };
                    let client_mode = match tls {
                        TlsMode::Disable => "disable",
                        TlsMode::Prefer => "prefer",
                        _ => "require",
                    };
                    passed.push(format!("sslmode={client_mode}"));
                }
                "password" => {
                    secrets.push(value.to_string());
                    secrets.push(decoded(value));
                    passed.push(pair.to_string());
                }
                _ => passed.push(pair.to_string()),
            }
        }
        let redactor = redactor_of(&secrets);
        let shown = redactor.redact(&shown);
        let rebuilt = if passed.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", passed.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&rebuilt)
            .map_err(|e| PostgresUrl::bad(&shown, redactor.redact(&e.to_string())))?;
        if config.get_hosts().is_empty() {
            return Err(PostgresUrl::bad(
                &shown,
                "it names no host (postgres://USER@HOST:PORT/DATABASE)",
            ));
        }
        if config
            .get_hosts()
            .iter()
            .any(|h| !matches!(h, Host::Tcp(_)))
        {
            return Err(PostgresUrl::bad(
                &shown,
                "a Unix socket host is not supported; name a TCP host",
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("teamtune");
        }
        Ok(PostgresUrl {
            config,
            shown,
            redactor,
            root_cert,
            tls,
            raw: text.to_string(),
        })
    }
}

/// The URL without the password of its userinfo, and the password's spellings (as written
/// and percent-decoded).
fn without_password(text: &str) -> (String, Vec<String>) {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return (text.to_string(), Vec::new());
    };
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (text.to_string(), Vec::new());
    };
    let userinfo = &authority[..at];
    let Some((user, password)) = userinfo.split_once(':') else {
        return (text.to_string(), Vec::new());
    };
    let shown = format!(
        "{}{user}{}",
        &text[..start],
        &text[start + userinfo.len()..]
    );
    (shown, vec![password.to_string(), decoded(password)])
}

fn redactor_of(secrets: &[String]) -> Redactor {
    Redactor::new(secrets.iter().cloned())
}

fn decoded(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.shown)
    }
}

impl PartialEq for PostgresUrl {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for PostgresUrl {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::SslMode;

    fn parse(s: &str) -> Result<PostgresUrl, StoreError> {
        s.parse()
    }

    #[test]
    fn the_shown_url_has_no_password() {
        let url = parse("postgres://me:s3cr%40t@db.example:6543/tt?sslmode=disable").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://me@db.example:6543/tt?sslmode=disable"
        );
        assert_eq!(url.config().get_password(), Some(&b"s3cr@t"[..]));
        assert_eq!(
            url.redact("FATAL: s3cr@t and s3cr%40t"),
            "FATAL: [redacted] and [redacted]"
        );
        assert!(!url.wants_tls());
    }

    #[test]
    fn a_password_in_the_query_is_a_secret_too() {
        let url = parse("postgresql://me@h/db?password=hunter2").unwrap();
        assert!(!url.to_string().contains("hunter2"), "{url}");
        assert_eq!(url.config().get_password(), Some(&b"hunter2"[..]));
    }

    #[test]
    fn sslmode_says_what_is_checked_as_libpq_does() {
        let url = parse("postgres://h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(url.config().get_ssl_mode(), SslMode::Require);
        assert_eq!(url.root_cert(), Some(&PathBuf::from("/etc/ca.pem")));
        assert_eq!(url.verify(), Verify::ChainAndHost);
        for (mode, tls, verify) in [
            ("", true, Verify::Nothing),
            ("?sslmode=disable", false, Verify::Nothing),
            ("?sslmode=allow", true, Verify::Nothing),
            ("?sslmode=prefer", true, Verify::Nothing),
            ("?sslmode=require", true, Verify::Nothing),
            ("?sslmode=require&sslrootcert=ca.pem", true, Verify::Chain),
            ("?sslmode=verify-ca", true, Verify::Chain),
        ] {
            let url = parse(&format!("postgres://h/db{mode}")).unwrap();
            assert_eq!((url.wants_tls(), url.verify()), (tls, verify), "{mode}");
        }
    }

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        for bad in [
            "postgres://me:pw@h:notaport/db",
            "postgres://me:pw@h/db?sslmode=sometimes",
            "postgres://me:pw@h/db?colour=blue",
            "postgres:///db",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, StoreError::BadUrl { .. }), "{bad}: {err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
            assert!(!err.to_string().contains(":pw"), "{err}");
        }
    }

    #[test]
    fn the_scheme_is_recognised_in_any_case() {
        assert!(PostgresUrl::is_postgres("PostgreSQL://h/db"));
        assert!(!PostgresUrl::is_postgres("postgres.db"));
        assert!(!PostgresUrl::is_postgres("mysql://h/db"));
    }
}
