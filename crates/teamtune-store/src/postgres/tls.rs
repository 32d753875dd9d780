//! TLS for PostgreSQL connections: rustls with the aws-lc-rs provider (the one reqwest's
//! rustls already builds), trusting the system's certificate store, or only the PEM
//! certificates of `sslrootcert=FILE`. The server's certificate and host name are always
//! verified.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::PostgresUrl;

/// The connector for `url`'s TLS settings; the error says what is wrong with them.
pub(crate) fn connector(url: &PostgresUrl) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let config = match url.root_cert() {
        Some(path) => {
            let shown = path.display();
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {shown}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("sslrootcert {shown}: no PEM certificate in it"));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .with_platform_verifier()
            .map_err(|e| format!("cannot read the system's trusted certificates: {e}"))?
            .with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}
