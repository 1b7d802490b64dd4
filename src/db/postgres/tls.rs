//! TLS to a Postgres server (native), as libpq's `sslmode` says: `disable`
//! never; `prefer` (the default) and `require` encrypt without checking the
//! certificate; `verify-ca` checks it was issued by a trusted authority,
//! `verify-full` that and the host name. Trusted: the PEM file
//! `sslrootcert` names, else the Mozilla roots. tokio-postgres knows only
//! the first three modes, so the URL is read here first.

use crate::db::{DbError, DbResult};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Authority,
    AuthorityAndName,
}

/// The URL tokio-postgres can parse, and the TLS connector for it.
pub fn connector(url: &str) -> DbResult<(tokio_postgres::Config, MakeRustlsConnect)> {
    let (url, check, root_file) = read_tls_options(url);
    let mut config = super::parse_url(&url)?;
    if check != Check::Nothing {
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
    }
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Other(format!("TLS: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(Unchecked(provider)),
        check => {
            let roots = Arc::new(roots(root_file.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| DbError::Other(format!("TLS: {e}")))?;
            Arc::new(Checked { webpki, names: check == Check::AuthorityAndName })
        }
    };
    let tls = builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
    Ok((config, MakeRustlsConnect::new(tls)))
}

/// `url` without the `sslmode=verify-*` and `sslrootcert` parameters, and
/// what they asked for.
fn read_tls_options(url: &str) -> (String, Check, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), Check::Nothing, None);
    };
    let (mut check, mut root_file, mut kept) = (Check::Nothing, None, Vec::new());
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", "verify-ca")) => check = Check::Authority,
            Some(("sslmode", "verify-full")) => check = Check::AuthorityAndName,
            Some(("sslrootcert", path)) => {
                root_file = Some(percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned())
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    (url, check, root_file)
}

fn roots(file: Option<&str>) -> DbResult<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| DbError::Other(format!("sslrootcert {path}: {e}")))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DbError::Other(format!("sslrootcert {path}: {e}")))?;
            roots.add_parsable_certificates(certs);
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

/// Encryption without authentication (libpq's `prefer` and `require`):
/// any certificate, but the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The usual checks, the host name's only for `verify-full`.
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    names: bool,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(CertificateError::NotValidForName))
            | Err(Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }))
                if !self.names =>
            {
                Ok(ServerCertVerified::assertion())
            }
            result => result,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_are_read_out_of_the_url() {
        let (url, check, root) =
            read_tls_options("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&x=1");
        assert_eq!(
            (url.as_str(), check, root.as_deref()),
            ("postgres://u@h/db?x=1", Check::AuthorityAndName, Some("/etc/ca.pem"))
        );
        let (url, check, _) = read_tls_options("postgres://u@h/db?sslmode=require");
        assert_eq!((url.as_str(), check), ("postgres://u@h/db?sslmode=require", Check::Nothing));
    }
}
