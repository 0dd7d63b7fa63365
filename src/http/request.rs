//! Reading one request off a connection: the head bounded in size and time, then the body it
//! announces (by length or chunked) bounded the same way.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Instant;

use super::{BODY_DEADLINE, MAX_BODY, MAX_HEAD, response};

/// Headers read per request; more are answered as a head too large.
const MAX_HEADERS: usize = 64;
/// The longest chunk-size line accepted: hex digits and any extension.
const MAX_CHUNK_LINE: usize = 1024;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without its `?`.
    pub query: String,
    /// Names and values as sent, values trimmed; bytes that are not UTF-8 are replaced.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }

    /// A header's value when it was sent exactly once. Two `Host` headers, for instance,
    /// are an ambiguity some other server may resolve the other way.
    pub fn single_header(&self, name: &str) -> Option<&str> {
        let mut values = self.values(name);
        match (values.next(), values.next()) {
            (Some(value), None) => Some(value),
            _ => None,
        }
    }

    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The path and query as the request line gave them.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no request could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The client closed, or the socket failed: nobody to answer.
    Closed,
    /// The head or body did not arrive in time.
    TimedOut,
    /// The head is longer than [`MAX_HEAD`] or has too many headers.
    HeadTooLarge,
    /// The body is longer than [`MAX_BODY`].
    BodyTooLarge,
    /// Not HTTP/1.0 or 1.1.
    Version,
    /// Not a request at all, or one that contradicts itself.
    Malformed,
}

impl ReadError {
    /// The status to answer with, if there is anyone to answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ReadError::Closed => None,
            ReadError::TimedOut => Some(408),
            ReadError::HeadTooLarge => Some(431),
            ReadError::BodyTooLarge => Some(413),
            ReadError::Version => Some(505),
            ReadError::Malformed => Some(400),
        }
    }
}

/// Reads one request from `stream`: the head by `head_deadline`, then its body within
/// [`BODY_DEADLINE`]. Asks for the body with `100 Continue` when the client waits for that.
pub fn read_request(stream: &TcpStream, head_deadline: Instant) -> Result<Request, ReadError> {
    let mut incoming = Incoming {
        stream,
        buf: Vec::with_capacity(2048),
        start: 0,
        deadline: head_deadline,
    };
    let mut request = incoming.head()?;
    let body = Body::of(&request)?;
    if body != Body::None
        && request
            .header("expect")
            .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        response::write_interim(stream, 100).map_err(|_| ReadError::Closed)?;
    }
    incoming.deadline = Instant::now() + BODY_DEADLINE;
    request.body = match body {
        Body::None => Vec::new(),
        Body::Length(length) => incoming.take(length)?,
        Body::Chunked => incoming.chunked()?,
    };
    Ok(request)
}

/// How a request's body is framed.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    None,
    Length(usize),
    Chunked,
}

impl Body {
    fn of(request: &Request) -> Result<Body, ReadError> {
        let codings: Vec<String> = request
            .values("transfer-encoding")
            .flat_map(|value| value.split(','))
            .map(|coding| coding.trim().to_ascii_lowercase())
            .collect();
        if !codings.is_empty() {
            // Any coding but a final chunked leaves no way to tell where the body ends.
            return if codings.last().is_some_and(|coding| coding == "chunked") {
                Ok(Body::Chunked)
            } else {
                Err(ReadError::Malformed)
            };
        }
        let mut length = None;
        for value in request.values("content-length") {
            let parsed: usize = value.parse().map_err(|_| ReadError::Malformed)?;
            // Two lengths that disagree are how requests get smuggled past a proxy.
            if length.is_some_and(|seen| seen != parsed) {
                return Err(ReadError::Malformed);
            }
            length = Some(parsed);
        }
        match length {
            None | Some(0) => Ok(Body::None),
            Some(length) if length > MAX_BODY => Err(ReadError::BodyTooLarge),
            Some(length) => Ok(Body::Length(length)),
        }
    }
}

/// A connection's bytes as they arrive, each read bounded by a deadline.
struct Incoming<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
    /// Where the bytes not yet taken start in `buf`.
    start: usize,
    deadline: Instant,
}

impl Incoming<'_> {
    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Waits for more bytes, until the deadline.
    fn fill(&mut self) -> Result<(), ReadError> {
        let mut chunk = [0u8; 4096];
        loop {
            let wait = self.deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return Err(ReadError::TimedOut);
            }
            self.stream
                .set_read_timeout(Some(wait))
                .map_err(|_| ReadError::Closed)?;
            match (&*self.stream).read(&mut chunk) {
                Ok(0) => return Err(ReadError::Closed),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ReadError::TimedOut);
                }
                Err(_) => return Err(ReadError::Closed),
            }
        }
    }

    /// The request line and headers, at most [`MAX_HEAD`] bytes of them.
    fn head(&mut self) -> Result<Request, ReadError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(self.unread()) {
                Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => {
                    let request = request_of(&parsed)?;
                    self.start += len;
                    return Ok(request);
                }
                Ok(httparse::Status::Partial) if self.unread().len() <= MAX_HEAD => {}
                Ok(_) | Err(httparse::Error::TooManyHeaders) => {
                    return Err(ReadError::HeadTooLarge);
                }
                Err(httparse::Error::Version) => return Err(ReadError::Version),
                Err(_) => return Err(ReadError::Malformed),
            }
            self.fill()?;
        }
    }

    /// The next `n` bytes; `n` is bounded by the caller.
    fn take(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.unread().len() < n {
            self.fill()?;
        }
        let taken = self.unread()[..n].to_vec();
        self.start += n;
        Ok(taken)
    }

    /// A chunked body, decoded, at most [`MAX_BODY`] bytes of it; trailers are skipped.
    fn chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let size = loop {
                match httparse::parse_chunk_size(self.unread()) {
                    Ok(httparse::Status::Complete((len, size))) => {
                        self.start += len;
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.unread().len() <= MAX_CHUNK_LINE => {
                        self.fill()?;
                    }
                    Ok(httparse::Status::Partial) | Err(_) => return Err(ReadError::Malformed),
                }
            };
            if size == 0 {
                self.trailers()?;
                return Ok(body);
            }
            // body.len() never exceeds MAX_BODY, so the subtraction cannot overflow.
            let size = usize::try_from(size)
                .ok()
                .filter(|size| *size <= MAX_BODY - body.len())
                .ok_or(ReadError::BodyTooLarge)?;
            body.extend(self.take(size)?);
            if self.take(2)? != b"\r\n" {
                return Err(ReadError::Malformed);
            }
        }
    }

    /// Skips trailer fields up to the blank line that ends the message.
    fn trailers(&mut self) -> Result<(), ReadError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::parse_headers(self.unread(), &mut headers) {
                Ok(httparse::Status::Complete((len, _))) => {
                    self.start += len;
                    return Ok(());
                }
                Ok(httparse::Status::Partial) if self.unread().len() <= MAX_HEAD => self.fill()?,
                Ok(httparse::Status::Partial) | Err(_) => return Err(ReadError::Malformed),
            }
        }
    }
}

fn request_of(parsed: &httparse::Request) -> Result<Request, ReadError> {
    let (Some(method), Some(target)) = (parsed.method, parsed.path) else {
        return Err(ReadError::Malformed);
    };
    // A client may send an absolute URI; only its path and query matter here.
    let target = strip_origin(target);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers = parsed
        .headers
        .iter()
        .map(|header| {
            let value = String::from_utf8_lossy(header.value);
            (header.name.to_owned(), value.trim().to_owned())
        })
        .collect();
    Ok(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: Vec::new(),
    })
}

/// `http://host/path?q` becomes `/path?q`; anything else is left alone.
fn strip_origin(target: &str) -> &str {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return rest.find('/').map_or("/", |at| &rest[at..]);
        }
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::thread;
    use std::time::Duration;

    use crate::http::tests::pair;

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(200)
    }

    /// Sends `raw` and says "that is all", then reads it back as a request.
    fn parse(raw: &[u8]) -> Result<Request, ReadError> {
        let (mut client, server) = pair();
        client.write_all(raw).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        read_request(&server, soon())
    }

    #[test]
    fn reads_a_form_post() {
        let request = parse(
            b"POST /api/authorize?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\napp_id=42",
        )
        .unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/authorize");
        assert_eq!(request.query, "x=1");
        assert_eq!(request.header("HOST"), Some("a"));
        assert_eq!(request.body_text(), "app_id=42");
    }

    #[test]
    fn reads_a_chunked_body_with_extensions_and_trailers() {
        let request = parse(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\napp_\r\n5\r\nid=42\r\n0\r\nX-Trailer: 1\r\n\r\n",
        )
        .unwrap();
        assert_eq!(request.body_text(), "app_id=42");
    }

    #[test]
    fn bodies_past_the_limit_are_refused() {
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n")
                .unwrap_err(),
            ReadError::BodyTooLarge
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").unwrap_err(),
            ReadError::BodyTooLarge
        );
    }

    #[test]
    fn takes_an_absolute_target() {
        let request = parse(b"GET http://h:1/api/oauth?app_id=1 HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(request.target(), "/api/oauth?app_id=1");
    }

    #[test]
    fn repeated_headers_are_not_single() {
        let request = parse(b"GET / HTTP/1.1\r\nHost: a:1\r\nhost: b:1\r\nX: y\r\n\r\n").unwrap();
        assert_eq!(request.header("host"), Some("a:1"));
        assert_eq!(request.single_header("host"), None);
        assert_eq!(request.single_header("x"), Some("y"));
    }

    #[test]
    fn garbage_is_refused_with_its_status() {
        for raw in [
            &b"NONSENSE\r\n\r\n"[..],
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: many\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            assert_eq!(parse(raw).unwrap_err(), ReadError::Malformed, "{raw:?}");
        }
        assert_eq!(
            parse(b"GET / HTTP/2.0\r\n\r\n").unwrap_err(),
            ReadError::Version
        );
        assert_eq!(parse(b"GET / HTT").unwrap_err(), ReadError::Closed);
    }

    #[test]
    fn a_chunk_size_line_past_its_limit_is_refused_without_waiting_for_its_end() {
        let (mut client, server) = pair();
        // A line that never ends, sixteen times the limit; the connection stays open, so
        // only the bound can end the read early.
        let writer = thread::spawn(move || {
            let _ = client.write_all(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;");
            let _ = client.write_all(&vec![b'a'; 16 * MAX_CHUNK_LINE]);
            client
        });
        assert_eq!(
            read_request(&server, soon()).unwrap_err(),
            ReadError::Malformed
        );
        drop(server);
        drop(writer.join().unwrap());
    }

    #[test]
    fn a_head_past_the_size_limit_is_answered_431() {
        let (mut client, server) = pair();
        // Written from a thread: the reader stops long before the writer would.
        let writer = thread::spawn(move || {
            let _ = client.write_all(b"GET / HTTP/1.1\r\nX: ");
            let _ = client.write_all(&vec![b'a'; 4 * MAX_HEAD]);
        });
        let refused = read_request(&server, soon()).unwrap_err();
        assert_eq!(refused, ReadError::HeadTooLarge);
        assert_eq!(refused.status(), Some(431));
        drop(server);
        let _ = writer.join();

        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend(format!("X-{i}: 1\r\n").as_bytes());
        }
        many.extend(b"\r\n");
        assert_eq!(parse(&many).unwrap_err(), ReadError::HeadTooLarge);
    }

    #[test]
    fn a_stalled_or_trickling_head_runs_out_of_time() {
        let (mut client, server) = pair();
        client.write_all(b"GET /cb?auth").unwrap();
        let started = Instant::now();
        let refused = read_request(&server, soon()).unwrap_err();
        assert_eq!(refused, ReadError::TimedOut);
        assert_eq!(refused.status(), Some(408));
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
        assert_eq!(
            read_request(&server, soon()).unwrap_err(),
            ReadError::TimedOut
        );
        drop(server);
        let _ = trickle.join();
    }

    #[test]
    fn a_client_that_expects_100_continue_is_asked_for_its_body() {
        let (mut client, server) = pair();
        client
            .write_all(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            .unwrap();
        let reader = thread::spawn(move || read_request(&server, soon()));
        let mut interim = [0u8; 64];
        let n = client.read(&mut interim).unwrap();
        let mut headers = [httparse::EMPTY_HEADER; 4];
        let mut answer = httparse::Response::new(&mut headers);
        assert!(answer.parse(&interim[..n]).unwrap().is_complete());
        assert_eq!(answer.code, Some(100));
        client.write_all(b"ok").unwrap();
        assert_eq!(reader.join().unwrap().unwrap().body_text(), "ok");
    }
}
