//! The HTTP side of the redirect listener: a small HTTP/1.1 server that no client can stop,
//! hold up or wear out while it waits for one browser.
//!
//! A browser sends its request the moment it connects, so everything else is suspect: each
//! connection's request head is read on its own thread, within a deadline and a size cap;
//! at most [`MAX_OPEN`] connections are read at once, and a new one pushes out the oldest,
//! which is a stalled one. Accepting never stops: an error such as running out of file
//! descriptors pushes out the oldest connection and pauses the loop briefly. Every answer
//! closes its connection, so no keep-alive connection lingers either.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a client has to send its request line and headers. A browser takes
/// milliseconds; the bound frees the thread and socket of one that sends nothing, or a
/// byte at a time.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request head accepted. The redirect's is well under 2 KiB; without a bound a
/// client could make pipi buffer without end.
pub const MAX_HEAD: usize = 16 * 1024;
/// Connections whose head is being read at once; past it, the oldest is closed.
pub const MAX_OPEN: usize = 64;
const MAX_HEADERS: usize = 64;
/// How often the accept loop looks for new connections and for the order to stop. Polling
/// lets the listener close without connecting to itself, which can fail exactly when it
/// matters (no descriptors left).
const ACCEPT_POLL: Duration = Duration::from_millis(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long closing the server waits for connection threads to let go of their sockets.
const CLOSE_WAIT: Duration = Duration::from_millis(200);
/// How long an answered connection is read from and discarded before it is closed. Closing
/// a socket that still has unread input resets the connection, and the client may then lose
/// the answer.
const LINGER: Duration = Duration::from_millis(250);

/// A request line and the one header the listener cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The request target as sent: path and query.
    pub target: String,
    /// The `Host` header; `None` when missing, repeated, or not text.
    pub host: Option<String>,
}

/// A client waiting for its answer.
pub struct Connection {
    stream: Arc<TcpStream>,
}

impl Connection {
    /// Sends a complete answer and closes the connection. A client that went away is no
    /// error: there is nobody to tell.
    pub fn answer(self, status: u16, headers: &[(&str, &str)], body: &str) {
        let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let stream = &*self.stream;
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        if (&*stream).write_all(out.as_bytes()).is_ok() {
            let _ = stream.shutdown(Shutdown::Write);
            linger(stream);
        }
    }
}

/// Reads and drops what the client still sends, until it closes or [`LINGER`] is over.
fn linger(stream: &TcpStream) {
    let until = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    let mut left: usize = 64 * 1024;
    while left > 0 {
        let wait = until.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match (&*stream).read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "",
    }
}

/// Handles one request whose head was read in time; runs on that connection's thread.
pub type Handler = dyn Fn(Head, Connection) + Send + Sync;

/// Serving threads on bound sockets; dropping it closes the sockets and every connection
/// still being read.
pub struct Server {
    stop: Arc<AtomicBool>,
    accepting: Vec<JoinHandle<()>>,
    open: Arc<OpenConnections>,
}

impl Server {
    /// Serves every listener on its own accept thread, `handler` getting each request.
    pub fn start(listeners: Vec<TcpListener>, handler: Arc<Handler>) -> io::Result<Server> {
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(OpenConnections::default());
        let mut server = Server {
            stop: Arc::clone(&stop),
            accepting: Vec::new(),
            open: Arc::clone(&open),
        };
        for listener in listeners {
            listener.set_nonblocking(true)?;
            let (stop, open, handler) =
                (Arc::clone(&stop), Arc::clone(&open), Arc::clone(&handler));
            let thread = thread::Builder::new()
                .name("pipi-listener".into())
                .spawn(move || accept_loop(&listener, &stop, &open, &handler))?;
            // Pushed at once, so that a failure on the next one still stops this one.
            server.accepting.push(thread);
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in &self.accepting {
            thread.thread().unpark();
        }
        for thread in self.accepting.drain(..) {
            let _ = thread.join();
        }
        self.open.close_all();
        // Their threads close the sockets as they wake; give them a moment, so that the
        // descriptors are free again for what comes next (the token exchange) even when
        // stalled clients had used them all up.
        let until = Instant::now() + CLOSE_WAIT;
        while self.open.unfinished() > 0 && Instant::now() < until {
            thread::sleep(Duration::from_millis(1));
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    stop: &AtomicBool,
    open: &Arc<OpenConnections>,
    handler: &Arc<Handler>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => serve(stream, open, handler),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::park_timeout(ACCEPT_POLL),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                ) => {}
            Err(_) => {
                // Most likely out of file descriptors: free one and try again shortly,
                // rather than stop listening for good.
                open.close_oldest();
                thread::park_timeout(ACCEPT_POLL);
            }
        }
    }
}

/// Reads one connection's head on a thread of its own and hands the request over.
fn serve(stream: TcpStream, open: &Arc<OpenConnections>, handler: &Arc<Handler>) {
    // Some systems pass the listener's non-blocking mode on to accepted sockets.
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let stream = Arc::new(stream);
    let id = open.admit(Arc::clone(&stream));
    let (open_for_thread, handler) = (Arc::clone(open), Arc::clone(handler));
    let spawned = thread::Builder::new()
        .name("pipi-connection".into())
        .stack_size(128 * 1024)
        .spawn(move || {
            let head = read_head(&stream, Instant::now() + HEAD_DEADLINE);
            open_for_thread.release(id);
            let connection = Connection { stream };
            let status = match head {
                Ok(head) => {
                    // Handed over: the handler decides how long the connection lives.
                    open_for_thread.done();
                    return handler(head, connection);
                }
                Err(HeadError::TooLarge) => Some(431),
                Err(HeadError::Malformed) => Some(400),
                Err(HeadError::TimedOut) => Some(408),
                Err(HeadError::Closed) => None,
            };
            // Closed before counting it done, so that a closing server can wait for it.
            match status {
                Some(status) => connection.answer(status, &[], ""),
                None => drop(connection),
            }
            open_for_thread.done();
        });
    if spawned.is_err() {
        // No thread to read it: close it now rather than keep it open unread.
        open.release(id);
        open.done();
    }
}

/// Why no request head could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    TimedOut,
    TooLarge,
    Malformed,
    Closed,
}

/// Reads a request line and headers, all of it before `deadline`, at most [`MAX_HEAD`]
/// bytes. A body, if any, is left unread: the listener takes only GET.
pub fn read_head(stream: &TcpStream, deadline: Instant) -> Result<Head, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Err(HeadError::TimedOut);
        }
        stream
            .set_read_timeout(Some(wait))
            .map_err(|_| HeadError::Closed)?;
        match (&*stream).read(&mut chunk) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::TimedOut);
            }
            Err(_) => return Err(HeadError::Closed),
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => return head_of(&request),
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => {}
            Ok(_) | Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
            Err(_) => return Err(HeadError::Malformed),
        }
    }
}

fn head_of(request: &httparse::Request) -> Result<Head, HeadError> {
    let (Some(method), Some(target)) = (request.method, request.path) else {
        return Err(HeadError::Malformed);
    };
    let mut hosts = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    // Two Host headers are an ambiguity some other server may resolve the other way.
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) => std::str::from_utf8(h.value).ok().map(str::to_string),
        _ => None,
    };
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        host,
    })
}

/// The connections whose head is being read, oldest first, and how many connection
/// threads have yet to let go of theirs.
#[derive(Default)]
struct OpenConnections {
    next_id: AtomicU64,
    list: Mutex<VecDeque<(u64, Arc<TcpStream>)>>,
    unfinished: AtomicUsize,
}

impl OpenConnections {
    fn lock(&self) -> MutexGuard<'_, VecDeque<(u64, Arc<TcpStream>)>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, closing the oldest ones past [`MAX_OPEN`].
    fn admit(&self, stream: Arc<TcpStream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut list = self.lock();
        while list.len() >= MAX_OPEN {
            if let Some((_, oldest)) = list.pop_front() {
                let _ = oldest.shutdown(Shutdown::Both);
            }
        }
        list.push_back((id, stream));
        self.unfinished.fetch_add(1, Ordering::SeqCst);
        id
    }

    /// A connection's thread has closed it or handed it over.
    fn done(&self) {
        self.unfinished.fetch_sub(1, Ordering::SeqCst);
    }

    fn unfinished(&self) -> usize {
        self.unfinished.load(Ordering::SeqCst)
    }

    /// Forgets a connection whose head has been read (or never will be).
    fn release(&self, id: u64) {
        self.lock().retain(|(other, _)| *other != id);
    }

    fn close_oldest(&self) {
        if let Some((_, oldest)) = self.lock().pop_front() {
            let _ = oldest.shutdown(Shutdown::Both);
        }
    }

    fn close_all(&self) {
        for (_, stream) in self.lock().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connected pair on loopback: the client's end and the server's.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(200)
    }

    #[test]
    fn a_complete_head_is_read_with_its_host() {
        let (mut client, server) = pair();
        client
            .write_all(b"GET /cb?auth_key=k HTTP/1.1\r\nhost: 127.0.0.1:9\r\nAccept: */*\r\n\r\n")
            .unwrap();
        let head = read_head(&server, soon()).unwrap();
        assert_eq!(
            head,
            Head {
                method: "GET".into(),
                target: "/cb?auth_key=k".into(),
                host: Some("127.0.0.1:9".into()),
            }
        );
    }

    #[test]
    fn two_host_headers_count_as_none() {
        let (mut client, server) = pair();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: a:1\r\nHost: b:1\r\n\r\n")
            .unwrap();
        assert_eq!(read_head(&server, soon()).unwrap().host, None);
    }

    #[test]
    fn a_stalled_or_trickling_client_runs_out_of_time() {
        let (mut client, server) = pair();
        client.write_all(b"GET /cb?auth").unwrap();
        let started = Instant::now();
        assert_eq!(read_head(&server, soon()), Err(HeadError::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));

        // A byte at a time still has to finish by the deadline.
        let (mut client, server) = pair();
        let trickle = thread::spawn(move || {
            for byte in b"GET /cb HTTP/1.1\r\nX: ".iter().cycle().take(400) {
                if client.write_all(&[*byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(5));
            }
        });
        assert_eq!(read_head(&server, soon()), Err(HeadError::TimedOut));
        drop(server);
        let _ = trickle.join();
    }

    #[test]
    fn endless_or_garbled_heads_are_refused() {
        let (mut client, server) = pair();
        let writer = thread::spawn(move || {
            let _ = client.write_all(b"GET / HTTP/1.1\r\nX: ");
            let _ = client.write_all(&vec![b'a'; 4 * MAX_HEAD]);
        });
        assert_eq!(read_head(&server, soon()), Err(HeadError::TooLarge));
        drop(server);
        let _ = writer.join();

        let (mut client, server) = pair();
        client
            .write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            .unwrap();
        assert_eq!(read_head(&server, soon()), Err(HeadError::Malformed));

        let (client, server) = pair();
        drop(client);
        assert_eq!(read_head(&server, soon()), Err(HeadError::Closed));
    }

    #[test]
    fn the_oldest_connections_make_room_for_new_ones() {
        let open = OpenConnections::default();
        let mut clients = Vec::new();
        for _ in 0..MAX_OPEN + 2 {
            let (client, server) = pair();
            open.admit(Arc::new(server));
            clients.push(client);
        }
        assert_eq!(open.lock().len(), MAX_OPEN);
        // The first two were shut down: their clients read the end of the stream.
        let mut buf = [0u8; 1];
        assert_eq!(clients[0].read(&mut buf).unwrap(), 0);
        assert_eq!(clients[1].read(&mut buf).unwrap(), 0);
        clients[2]
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        assert!(clients[2].read(&mut buf).is_err(), "still open");
    }

    #[test]
    fn answers_close_the_connection() {
        let (mut client, server) = pair();
        Connection {
            stream: Arc::new(server),
        }
        .answer(404, &[("Content-Type", "text/plain")], "no");
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
        );
    }
}
