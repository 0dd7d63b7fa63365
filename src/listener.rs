//! The redirect listener's server: the sockets `callback` binds, served by the crate's one
//! HTTP server (`http`) so that no client can stop, hold up or wear out the listener while
//! it waits for one browser.
//!
//! A browser sends its request the moment it connects, so everything else is suspect: each
//! connection's request is read on its own thread within [`HEAD_DEADLINE`] and [`MAX_HEAD`];
//! at most [`MAX_OPEN`] connections are read at once, and a new one pushes out the oldest,
//! which is a stalled one. Accepting goes on through running out of file descriptors, and
//! every answer closes its connection, so no keep-alive connection lingers either.

use std::io;
use std::net::TcpListener;

use crate::http::{self, Request};

pub use crate::http::{Connection, HEAD_DEADLINE, MAX_HEAD, MAX_OPEN};

/// Serving threads on the bound sockets; dropping it closes the sockets and every
/// connection still being read.
pub struct Server {
    _server: http::Server,
}

impl Server {
    /// Serves every socket, `handler` getting each request read in time; the rest are
    /// answered (400, 408, 431, ...) and closed here.
    pub(crate) fn start(
        sockets: Vec<TcpListener>,
        handler: impl Fn(Request, Connection) + Send + Sync + 'static,
    ) -> io::Result<Server> {
        Ok(Server {
            _server: http::Server::start(sockets, "pipi-listener", handler)?,
        })
    }
}
