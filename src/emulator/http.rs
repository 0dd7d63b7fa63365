//! HTTP/1.1 on the wire, just enough of it: one request per connection, read with limits,
//! and one answer written with `Connection: close`.
//!
//! The emulator speaks HTTP itself rather than through a server library because it must
//! also misbehave at the transport level (close without answering, hold an answer back)
//! and because one connection per request lets it stop at once, with no kept-alive
//! connection left waiting on a thread.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Longest request line plus headers the emulator reads.
const MAX_HEAD: u64 = 64 * 1024;
/// Largest body the emulator reads; API parameters are a few hundred bytes.
const MAX_BODY: usize = 1024 * 1024;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without its `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
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

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed or the socket failed: nobody to answer.
    Io,
    /// The request is malformed or too big: answer with this status.
    Refuse(u16),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Io
    }
}

/// Reads one request from `stream`.
pub(crate) fn read_request(stream: &TcpStream) -> Result<Request, ReadError> {
    let mut reader = BufReader::new(stream);
    let mut head = (&mut reader).take(MAX_HEAD);
    let request_line = read_line(&mut head)?.ok_or(ReadError::Refuse(400))?;
    let mut parts = request_line.split(' ').filter(|part| !part.is_empty());
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Refuse(400));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Refuse(505));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut head)?.ok_or(ReadError::Refuse(431))?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Refuse(400));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    // A client may send an absolute URI; only its path and query matter here.
    let target = strip_origin(target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (target.to_owned(), String::new()),
    };
    let mut request = Request {
        method: method.to_owned(),
        path,
        query,
        headers,
        body: Vec::new(),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    let length = match request.header("content-length") {
        Some(value) => Some(value.parse::<usize>().map_err(|_| ReadError::Refuse(400))?),
        None => None,
    };
    if length.is_some_and(|length| length > MAX_BODY) {
        return Err(ReadError::Refuse(413));
    }
    let expects_continue = request
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"));
    if expects_continue && (chunked || length.is_some_and(|length| length > 0)) {
        let mut writer = stream;
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if chunked {
        request.body = read_chunked(&mut reader)?;
    } else if let Some(length) = length {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        request.body = body;
    }
    Ok(request)
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

/// One CRLF- (or LF-) terminated line, or None when the limit was hit first.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let read = reader.read_until(b'\n', &mut line)?;
    if read == 0 {
        return Err(ReadError::Io);
    }
    if line.last() != Some(&b'\n') {
        return Ok(None);
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Refuse(400))
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut limited = reader.take(1024);
        let line = read_line(&mut limited)?.ok_or(ReadError::Refuse(400))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| ReadError::Refuse(400))?;
        if size == 0 {
            // Skip trailers up to the blank line that ends the message.
            loop {
                let mut limited = reader.take(MAX_HEAD);
                match read_line(&mut limited)? {
                    Some(line) if line.is_empty() => return Ok(body),
                    Some(_) => {}
                    None => return Err(ReadError::Refuse(400)),
                }
            }
        }
        // body.len() never exceeds MAX_BODY, so this cannot overflow.
        if size > MAX_BODY - body.len() {
            return Err(ReadError::Refuse(413));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(ReadError::Refuse(400));
        }
    }
}

/// One answer.
#[derive(Clone, Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A 302 to `location`.
    pub fn redirect(location: &str) -> Response {
        Response::new(302, "text/html; charset=UTF-8", Vec::new()).with_header("Location", location)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Writes `response`; a HEAD request gets the head only.
pub(crate) fn write_response(
    mut stream: &TcpStream,
    response: &Response,
    head_only: bool,
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Sends `raw` to a fresh listener and reads it back as a request.
    fn parse(raw: &'static [u8]) -> Result<Request, ReadError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(raw).unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        });
        let (stream, _) = listener.accept().unwrap();
        let request = read_request(&stream);
        drop(stream);
        client.join().unwrap();
        request
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
    fn reads_a_chunked_body() {
        let request =
            parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\napp_\r\n5\r\nid=42\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(request.body_text(), "app_id=42");
    }

    #[test]
    fn refuses_a_huge_chunk() {
        assert!(matches!(
            parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"),
            Err(ReadError::Refuse(413))
        ));
    }

    #[test]
    fn takes_an_absolute_target() {
        let request = parse(b"GET http://h:1/api/oauth?app_id=1 HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(request.target(), "/api/oauth?app_id=1");
    }

    #[test]
    fn refuses_garbage() {
        for raw in [
            &b"NONSENSE\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: many\r\n\r\n",
        ] {
            assert!(matches!(parse(raw), Err(ReadError::Refuse(400))));
        }
        assert!(matches!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            Err(ReadError::Refuse(413))
        ));
        assert!(matches!(
            parse(b"GET / HTTP/2.0\r\n\r\n"),
            Err(ReadError::Refuse(505))
        ));
    }
}
