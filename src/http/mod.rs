//! The one HTTP/1.1 server in pipi, behind both the login's redirect listener and the emulated
//! site: one request per connection, read within limits of size and time, and one answer
//! that closes the connection.
//!
//! It is written on `httparse` rather than taken from a server library: the limits below,
//! an accept loop that outlives running out of file descriptors and stops without
//! connecting to itself, and the emulator's transport-level faults (close without a word,
//! hold an answer back) would all still be code of ours around a library, and the crate is
//! blocking throughout. README.md's "Design: the HTTP server" gives the figures. One
//! request per connection also means no kept-alive connection waits on a thread, so
//! stopping is immediate.
//!
//! `request` reads, `response` writes (the only place a status line is written), and
//! `serve` accepts and runs each connection on a thread of its own.

mod request;
mod response;
mod serve;

use std::time::Duration;

pub use request::Request;
pub use response::Response;
pub use serve::{Connection, Handler, Server};

/// How long a client has from connecting to the end of its request line and headers. A
/// browser or HTTP client sends its head at once; the bound frees the thread and socket of one
/// that sends nothing, or a byte at a time.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// How long a client has, once its head is in, to send the body it announced.
pub const BODY_DEADLINE: Duration = Duration::from_secs(30);
/// The largest request head accepted, answered 431 past it. Real heads here are well under
/// 2 KiB; without a bound a client could make pipi buffer without end.
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest request body accepted, answered 413 past it; API parameters are a few hundred
/// bytes.
pub const MAX_BODY: usize = 1024 * 1024;
/// Connections whose request is being read at once; past it, the oldest is closed, which
/// is a stalled one, since a real client sends its request the moment it connects.
pub const MAX_OPEN: usize = 64;
/// Answered connections read from and discarded at once before they close; past it, the
/// oldest is closed at once. Their answer is written already: cutting the wait short only
/// risks a reset for a client that kept sending after its request.
pub const MAX_LINGERING: usize = 32;

/// The TLS configuration of one HTTP client, with ring as its cryptography, set on the
/// client alone: the process's default provider, which belongs to the program, is neither
/// read nor set. `verify` uses the system's certificate verification, as reqwest does by
/// itself; without it no certificate is trusted, for a client that only ever speaks plain
/// http on loopback and so need not read the system's certificate store at all.
pub(crate) fn tls_config(verify: bool) -> Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?;
    let mut config = if verify {
        builder.with_platform_verifier()?.with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    // reqwest speaks HTTP/1.1 only here (no http2 feature), and says so, as it does with the
    // configurations it builds itself.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn clients_leave_the_process_crypto_provider_alone() {
        // Verifying with the system's roots, and trusting nothing for plain http on loopback:
        // both configurations build, and neither installs a process-wide provider.
        for verify in [true, false] {
            let config = super::tls_config(verify).unwrap();
            assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        }
        let https = crate::Client::new("https://pipichat.com", std::time::Duration::from_secs(5));
        let http = crate::Client::new("http://127.0.0.1:9", std::time::Duration::from_secs(5));
        assert!(https.is_ok() && http.is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }

    /// A connected pair on loopback: the client's end and the server's.
    pub(crate) fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }
}
