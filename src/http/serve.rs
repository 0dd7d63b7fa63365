//! Accepting connections and running each on a thread of its own, so that no client can
//! stop, hold up or wear out the server.
//!
//! Each connection's request is read on its own thread within [`HEAD_DEADLINE`] and size
//! caps; at most [`MAX_OPEN`] are read at once, and a new one pushes out the oldest. An
//! answered connection is read from a moment more before it closes (see [`LINGER`]); at most
//! [`MAX_LINGERING`] do so at once, and a new one cuts the oldest short. So a flood of
//! clients that send a request and hold their sockets costs a bounded number of descriptors
//! and threads, whatever the handler does with the requests it keeps. Accepting
//! never stops on an error: one about a single connection is retried at once, and any other
//! (most likely no file descriptors left) closes the oldest connection being read and
//! pauses the loop briefly. The listeners are non-blocking and waited on together with a
//! stop signal, so that the server stops without connecting to itself, which fails exactly
//! when descriptors have run out.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::request::{ReadError, Request, read_request};
use super::response::{self, Response};
use super::{HEAD_DEADLINE, MAX_LINGERING, MAX_OPEN};

/// How long the accept loop pauses after running short of resources, such as descriptors.
const SHORTAGE_PAUSE: Duration = Duration::from_millis(10);
/// The most connection threads that may hold a socket (reading a request, or closed and yet
/// to let go of it) before accepting waits: half again the requests read at once.
const MAX_CONNECTION_THREADS: usize = MAX_OPEN + MAX_OPEN / 2;
/// Without `poll`, how often the accept loop looks for connections and the order to stop.
#[cfg(not(unix))]
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// How long writing an answer may take; a client that reads nothing must not hold the
/// thread, or the login waiting to answer it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long stopping the server waits for connection threads to let go of their sockets.
const CLOSE_WAIT: Duration = Duration::from_millis(200);
/// How long an answered connection is read from and discarded before it is closed. Closing
/// a socket that still has unread input resets the connection, and the client may then lose
/// the answer.
const LINGER: Duration = Duration::from_millis(250);
/// Stack for connection threads: far below the default, since a stalled client costs one,
/// and still roomy for the emulator's pages and JSON in a debug build.
const CONNECTION_STACK: usize = 512 * 1024;

/// What the server does with the requests it reads.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request; runs on that connection's thread, and decides how long the
    /// connection lives.
    fn handle(&self, request: Request, connection: Connection);

    /// A request that could not be read was answered with `status`; `took` is the time
    /// since it was accepted.
    fn refused(&self, _status: u16, _took: Duration) {}
}

impl<F: Fn(Request, Connection) + Send + Sync + 'static> Handler for F {
    fn handle(&self, request: Request, connection: Connection) {
        self(request, connection);
    }
}

/// A client waiting for its answer. Dropping it closes the connection unanswered.
pub struct Connection {
    stream: Arc<TcpStream>,
    /// The server's record of open connections, where an answered one lingers.
    open: Arc<OpenConnections>,
    /// The request was a HEAD: the answer goes without its body.
    head_only: bool,
    accepted: Instant,
}

impl Connection {
    /// Sends a complete answer and closes the connection. A client that went away is no
    /// error: there is nobody to tell.
    pub fn answer(self, response: &Response) {
        let stream = &*self.stream;
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        if response::write(stream, response, self.head_only).is_ok() {
            let _ = stream.shutdown(Shutdown::Write);
            let id = self.open.start_lingering(Arc::clone(&self.stream));
            linger(stream);
            self.open.release(id);
        }
    }

    /// Sends the head of an answer at once and its body a byte at a time, calling `pause`
    /// before each byte, as a congested or hostile server does; `pause` returning false
    /// leaves the answer unfinished. Then closes the connection.
    pub fn answer_dripping(self, response: &Response, mut pause: impl FnMut() -> bool) {
        let stream = &*self.stream;
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let _ = response::write_dripping(stream, response, &mut pause);
        let _ = stream.shutdown(Shutdown::Both);
    }

    /// Closes the connection without a word, as a server that crashed would.
    pub fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// When the connection was accepted.
    pub fn accepted(&self) -> Instant {
        self.accepted
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

/// Serving threads on bound sockets; stopping it, or dropping it, closes the sockets and
/// every connection still being read.
pub struct Server {
    stop: Arc<Stop>,
    accepting: Vec<JoinHandle<()>>,
    open: Arc<OpenConnections>,
}

impl Server {
    /// Serves every listener on its own accept thread named `name`, `handler` getting each
    /// request read.
    pub fn start(
        listeners: Vec<TcpListener>,
        name: &str,
        handler: impl Handler,
    ) -> io::Result<Server> {
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let stop = Arc::new(Stop::new()?);
        let open = Arc::new(OpenConnections::default());
        let mut server = Server {
            stop: Arc::clone(&stop),
            accepting: Vec::new(),
            open: Arc::clone(&open),
        };
        let connection_name = format!("{name}-conn");
        for listener in listeners {
            listener.set_nonblocking(true)?;
            let (stop, open, handler) =
                (Arc::clone(&stop), Arc::clone(&open), Arc::clone(&handler));
            let connection_name = connection_name.clone();
            let thread = thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    accept_loop(&listener, &stop, &open, &handler, &connection_name);
                })?;
            // Pushed at once, so that a failure on the next one still stops this one.
            server.accepting.push(thread);
        }
        Ok(server)
    }

    /// Stops accepting and closes the listeners and the connections still being read;
    /// answers already handed to the handler are its business. Calling it again does
    /// nothing.
    pub fn stop(&mut self) {
        self.stop.set();
        for thread in self.accepting.drain(..) {
            let _ = thread.join();
        }
        self.open.close_all();
        // Their threads close the sockets as they wake; give them a moment, so that the
        // descriptors are free again for what comes next (the login's token exchange) even
        // when stalled clients had used them all up.
        let until = Instant::now() + CLOSE_WAIT;
        while self.open.unfinished() > 0 && Instant::now() < until {
            thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(
    listener: &TcpListener,
    stop: &Stop,
    open: &Arc<OpenConnections>,
    handler: &Arc<dyn Handler>,
    connection_name: &str,
) {
    while !stop.is_set() {
        match listener.accept() {
            Ok((stream, _)) => {
                serve(stream, open, handler, connection_name);
                // A connection closed to make room frees its descriptor only once its thread
                // sees it closed; under a flood, and on a busy machine, sockets could be
                // accepted faster than those threads let go. Past this many, accept no more
                // (what waits stays in the kernel's queue, holding none of pipi's
                // descriptors) until some have.
                while open.unfinished() > MAX_CONNECTION_THREADS && !stop.is_set() {
                    open.close_oldest();
                    stop.wait(None, Some(SHORTAGE_PAUSE));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => stop.wait(Some(listener), None),
            Err(e) if is_about_one_connection(&e) => {}
            Err(_) => {
                // Most likely out of file descriptors (EMFILE, ENFILE) or buffers: free one
                // and try again shortly, rather than spin or stop listening for good.
                open.close_oldest();
                stop.wait(None, Some(SHORTAGE_PAUSE));
            }
        }
    }
}

/// The order to stop. On Unix it is also a byte written to a socket pair made at start,
/// which every accept thread polls alongside its listener: waking them takes no new
/// descriptor, and waiting for a connection takes no polling interval.
struct Stop {
    stopped: AtomicBool,
    #[cfg(unix)]
    wake: (UnixStream, UnixStream),
}

impl Stop {
    fn new() -> io::Result<Stop> {
        Ok(Stop {
            stopped: AtomicBool::new(false),
            #[cfg(unix)]
            wake: UnixStream::pair()?,
        })
    }

    fn is_set(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Sets the order. The byte is never read, so every later wait returns at once.
    fn set(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        #[cfg(unix)]
        {
            use std::io::Write;
            let _ = (&self.wake.1).write(&[1]);
        }
    }

    /// Waits until `listener` has a connection to accept, the order to stop is given, or
    /// `timeout` passes.
    #[cfg(unix)]
    fn wait(&self, listener: Option<&TcpListener>, timeout: Option<Duration>) {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let mut fds = vec![PollFd::new(&self.wake.0, PollFlags::IN)];
        if let Some(listener) = listener {
            fds.push(PollFd::new(listener, PollFlags::IN));
        }
        let timeout = timeout.and_then(|timeout| Timespec::try_from(timeout).ok());
        if poll(&mut fds, timeout.as_ref()).is_err() {
            // Interrupted, or short of memory: look again, but not in a tight loop.
            thread::sleep(SHORTAGE_PAUSE);
        }
    }

    #[cfg(not(unix))]
    fn wait(&self, _listener: Option<&TcpListener>, timeout: Option<Duration>) {
        thread::sleep(timeout.unwrap_or(ACCEPT_POLL).min(ACCEPT_POLL));
    }
}

/// Accept errors that concern only the connection at hand, such as a client that gave up
/// before it was accepted: the next accept may well succeed.
fn is_about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Reads one connection's request on a thread of its own and hands it over.
fn serve(
    stream: TcpStream,
    open: &Arc<OpenConnections>,
    handler: &Arc<dyn Handler>,
    connection_name: &str,
) {
    let accepted = Instant::now();
    // Some systems pass the listener's non-blocking mode on to accepted sockets.
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let stream = Arc::new(stream);
    let id = open.admit(Arc::clone(&stream));
    let (open_for_thread, handler) = (Arc::clone(open), Arc::clone(handler));
    let spawned = thread::Builder::new()
        .name(connection_name.to_owned())
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let request = read_request(&stream, accepted + HEAD_DEADLINE);
            open_for_thread.release(id);
            let head_only = request.as_ref().is_ok_and(|r| r.method == "HEAD");
            let connection = Connection {
                stream,
                open: Arc::clone(&open_for_thread),
                head_only,
                accepted,
            };
            match request {
                Ok(request) => {
                    // Handed over: the handler decides how long the connection lives.
                    open_for_thread.done();
                    return handler.handle(request, connection);
                }
                Err(refused) => match refused.status() {
                    Some(status) => {
                        connection.answer(&refused_answer(&refused, status));
                        handler.refused(status, accepted.elapsed());
                    }
                    None => drop(connection),
                },
            }
            // Closed before counting it done, so that a stopping server can wait for it.
            open_for_thread.done();
        });
    if spawned.is_err() {
        // No thread to read it: close it now rather than keep it open unread.
        open.release(id);
        open.done();
    }
}

fn refused_answer(refused: &ReadError, status: u16) -> Response {
    let why = match refused {
        ReadError::TimedOut => "the request did not arrive in time",
        ReadError::HeadTooLarge => "the request head is too large",
        ReadError::BodyTooLarge => "the request body is too large",
        ReadError::Version => "only HTTP versions 1.0 and 1.1 are spoken here",
        ReadError::Malformed | ReadError::Closed => "the request could not be read",
    };
    Response::new(status, "text/plain; charset=utf-8", format!("{why}\n"))
}

type Open = VecDeque<(u64, Arc<TcpStream>)>;

/// The connections whose request is being read and those lingering after their answer,
/// each oldest first, and how many connection threads have yet to let go of theirs.
#[derive(Default)]
struct OpenConnections {
    next_id: AtomicU64,
    lists: Mutex<Lists>,
    unfinished: AtomicUsize,
}

#[derive(Default)]
struct Lists {
    reading: Open,
    lingering: Open,
}

impl OpenConnections {
    fn lock(&self) -> MutexGuard<'_, Lists> {
        self.lists.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, closing the oldest ones past [`MAX_OPEN`].
    fn admit(&self, stream: Arc<TcpStream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        push_bounded(&mut self.lock().reading, MAX_OPEN, id, stream);
        self.unfinished.fetch_add(1, Ordering::SeqCst);
        id
    }

    /// Registers an answered connection that lingers, cutting the oldest ones short past
    /// [`MAX_LINGERING`]: their answer is sent already.
    fn start_lingering(&self, stream: Arc<TcpStream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        push_bounded(&mut self.lock().lingering, MAX_LINGERING, id, stream);
        id
    }

    /// How many connections are being read and how many linger.
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let lists = self.lock();
        (lists.reading.len(), lists.lingering.len())
    }

    /// A connection's thread has closed it or handed it over.
    fn done(&self) {
        self.unfinished.fetch_sub(1, Ordering::SeqCst);
    }

    fn unfinished(&self) -> usize {
        self.unfinished.load(Ordering::SeqCst)
    }

    /// Forgets a connection whose request has been read (or never will be), or that is
    /// done lingering.
    fn release(&self, id: u64) {
        let mut lists = self.lock();
        lists.reading.retain(|(other, _)| *other != id);
        lists.lingering.retain(|(other, _)| *other != id);
    }

    /// Frees a descriptor: a lingering connection's if there is one, since its answer is
    /// sent, else the oldest being read.
    fn close_oldest(&self) {
        let mut lists = self.lock();
        let oldest = match lists.lingering.pop_front() {
            Some(lingering) => Some(lingering),
            None => lists.reading.pop_front(),
        };
        if let Some((_, oldest)) = oldest {
            let _ = oldest.shutdown(Shutdown::Both);
        }
    }

    fn close_all(&self) {
        let mut lists = self.lock();
        let Lists { reading, lingering } = &mut *lists;
        for (_, stream) in reading.drain(..).chain(lingering.drain(..)) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Adds a connection to `list`, first closing the oldest ones that would put it past `max`.
fn push_bounded(list: &mut Open, max: usize, id: u64, stream: Arc<TcpStream>) {
    while list.len() >= max {
        if let Some((_, oldest)) = list.pop_front() {
            let _ = oldest.shutdown(Shutdown::Both);
        }
    }
    list.push_back((id, stream));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::MAX_HEAD;
    use std::io::Write;
    use std::net::SocketAddr;

    use crate::http::tests::pair;

    /// A server on a free loopback port that answers every request with 200 and its path.
    fn echo_server() -> (Server, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = |request: Request, connection: Connection| {
            connection.answer(&Response::new(200, "text/plain", request.path));
        };
        (
            Server::start(vec![listener], "test", handler).unwrap(),
            addr,
        )
    }

    /// Sends `raw`, says "that is all", and returns the answer's status and body.
    fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = client.write_all(raw);
        let _ = client.shutdown(Shutdown::Write);
        let mut answer = Vec::new();
        let _ = client.read_to_end(&mut answer);
        status_and_body(&answer)
    }

    fn status_and_body(answer: &[u8]) -> (u16, String) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(answer) {
            Ok(httparse::Status::Complete(len)) => (
                parsed.code.unwrap(),
                String::from_utf8_lossy(&answer[len..]).into_owned(),
            ),
            _ => (0, String::from_utf8_lossy(answer).into_owned()),
        }
    }

    #[test]
    fn requests_are_answered_and_unreadable_ones_refused() {
        let (_server, addr) = echo_server();
        assert_eq!(
            exchange(addr, b"GET /here?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            (200, "/here".to_string())
        );
        assert_eq!(exchange(addr, b"GET / HTTP/2.0\r\n\r\n").0, 505);
        assert_eq!(exchange(addr, b"\x16\x03\x01 not http\r\n\r\n").0, 400);
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(vec![b'a'; MAX_HEAD + 1]);
        assert_eq!(exchange(addr, &big).0, 431);
        // A HEAD gets the head alone.
        assert_eq!(
            exchange(addr, b"HEAD /x HTTP/1.1\r\n\r\n"),
            (200, String::new())
        );
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
        assert_eq!(open.counts().0, MAX_OPEN);
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
    fn stopping_closes_the_port_promptly() {
        let (mut server, addr) = echo_server();
        let idle = TcpStream::connect(addr).unwrap();
        thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        server.stop();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(TcpStream::connect(addr).is_err());
        // The connection still being read was closed too.
        let mut buf = [0u8; 1];
        idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert_eq!((&idle).read(&mut buf).unwrap(), 0);
        server.stop();
    }

    /// Set in the child process that runs one test of this binary under a small limit of
    /// open files.
    #[cfg(target_os = "linux")]
    const IN_CHILD: &str = "PIPI_HTTP_TEST_CHILD";

    /// Runs the test `name` of this module in a child process of this test binary, allowed
    /// only `files` open descriptors, and checks it passed in time. Filling the descriptor
    /// table here would break the tests running alongside.
    #[cfg(target_os = "linux")]
    fn run_in_child(name: &str, files: u32) {
        let module = module_path!().split_once("::").unwrap().1;
        let exe = std::env::current_exe().unwrap();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(exe)
            .args(["--exact", &format!("{module}::{name}"), "--test-threads=1"])
            .env(IN_CHILD, "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > until {
                let _ = child.kill();
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
        assert!(stdout.contains("1 passed"), "{stdout}");
    }

    /// Opens /dev/null until no descriptor is left, and checks that it ran out for that.
    #[cfg(target_os = "linux")]
    fn use_up_descriptors() -> Vec<std::fs::File> {
        let mut files = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => files.push(file),
                Err(e) => {
                    // EMFILE: the process's table is full.
                    assert_eq!(e.raw_os_error(), Some(24), "{e}");
                    return files;
                }
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn accepting_outlives_running_out_of_descriptors() {
        run_in_child("child_accepting_outlives_running_out_of_descriptors", 40);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn child_accepting_outlives_running_out_of_descriptors() {
        if std::env::var_os(IN_CHILD).is_none() {
            return;
        }
        let (_server, addr) = echo_server();
        // The client's socket is made before the table fills, so that connecting takes no
        // descriptor and nothing can race for a freed one: accepting it fails for want of
        // one, deterministically.
        let socket = rustix::net::socket(
            rustix::net::AddressFamily::INET,
            rustix::net::SocketType::STREAM,
            None,
        )
        .unwrap();
        let mut files = use_up_descriptors();
        rustix::net::connect(&socket, &addr).unwrap();
        let mut client = TcpStream::from(socket);
        client.write_all(b"GET /late HTTP/1.1\r\n\r\n").unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut answer = Vec::new();
        assert!(client.read_to_end(&mut answer).is_err(), "not accepted yet");
        // Descriptors come free again: the loop is still accepting.
        files.truncate(files.len().saturating_sub(8));
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        client.read_to_end(&mut answer).unwrap();
        assert_eq!(status_and_body(&answer), (200, "/late".to_string()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stopping_needs_no_descriptor() {
        run_in_child("child_stopping_needs_no_descriptor", 40);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn child_stopping_needs_no_descriptor() {
        if std::env::var_os(IN_CHILD).is_none() {
            return;
        }
        let (mut server, addr) = echo_server();
        let files = use_up_descriptors();
        let started = Instant::now();
        server.stop();
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(files);
        assert!(TcpStream::connect(addr).is_err(), "the port is closed");
    }

    #[test]
    fn lingering_connections_past_the_bound_are_cut_short_oldest_first() {
        let open = OpenConnections::default();
        let clients: Vec<_> = (0..MAX_LINGERING + 5)
            .map(|_| {
                let (client, server) = crate::http::tests::pair();
                open.start_lingering(Arc::new(server));
                client
            })
            .collect();
        assert_eq!(open.counts(), (0, MAX_LINGERING));
        // The five oldest were closed: their clients read the end at once.
        for (n, mut client) in clients.into_iter().enumerate() {
            client.set_nonblocking(true).unwrap();
            let mut byte = [0u8; 1];
            let closed = matches!(client.read(&mut byte), Ok(0));
            assert_eq!(closed, n < 5, "connection {n}");
        }
        // Short of descriptors, a lingering one goes before any being read.
        let (_reader, reading) = crate::http::tests::pair();
        open.admit(Arc::new(reading));
        open.close_oldest();
        assert_eq!(open.counts(), (1, MAX_LINGERING - 1));
    }
}
