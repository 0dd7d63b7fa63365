//! Writing answers: the only place pipi writes an HTTP status line, and its one table of
//! reason phrases.

use std::io::{self, Write};
use std::net::TcpStream;

/// One answer. `Content-Length` and `Connection: close` are added when it is written.
#[derive(Clone, Debug)]
pub struct Response {
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

/// The reason phrase for every status pipi sends; empty for others, which HTTP/1.1 allows.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

fn status_line(status: u16) -> String {
    format!("HTTP/1.1 {status} {}\r\n", reason(status))
}

/// Writes `response` in one go; for a HEAD request (`head_only`) without its body.
pub(super) fn write(stream: &TcpStream, response: &Response, head_only: bool) -> io::Result<()> {
    let (head, body) = encode(response);
    let mut bytes = head;
    if !head_only {
        bytes.extend_from_slice(body);
    }
    (&*stream).write_all(&bytes)?;
    (&*stream).flush()
}

/// Writes the head of `response` at once, then its body a byte at a time, calling `pause`
/// before each byte; stops, leaving the answer unfinished, when `pause` says so.
pub(super) fn write_dripping(
    stream: &TcpStream,
    response: &Response,
    pause: &mut dyn FnMut() -> bool,
) -> io::Result<()> {
    let (head, body) = encode(response);
    (&*stream).write_all(&head)?;
    (&*stream).flush()?;
    for byte in body {
        if !pause() {
            return Ok(());
        }
        (&*stream).write_all(&[*byte])?;
        (&*stream).flush()?;
    }
    Ok(())
}

/// The status line and headers of `response`, and its body.
fn encode(response: &Response) -> (Vec<u8>, &[u8]) {
    let mut out = status_line(response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    (out.into_bytes(), &response.body)
}

/// Writes an interim answer, such as `100 Continue`: a status line and nothing more.
pub(super) fn write_interim(stream: &TcpStream, status: u16) -> io::Result<()> {
    let mut out = status_line(status);
    out.push_str("\r\n");
    (&*stream).write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn every_status_pipi_sends_has_its_reason() {
        // 100: asking for a body; 200, 302, 404, 500: the emulated site's pages and API;
        // 400, 405, 409, 500: the redirect listener and the login; 408, 413, 431, 505:
        // requests that could not be read.
        let sent = [100, 200, 302, 400, 404, 405, 408, 409, 413, 431, 500, 505];
        for status in sent {
            assert!(!reason(status).is_empty(), "{status}");
        }
        assert_eq!(reason(409), "Conflict");
        assert_eq!(reason(431), "Request Header Fields Too Large");
        assert_eq!(reason(299), "");
    }

    #[test]
    fn an_answer_has_its_length_and_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let response = Response::new(409, "text/plain", "late").with_header("X-A", "b");
        write(&server, &response, false).unwrap();
        write(&server, &response, true).unwrap();
        drop(server);
        let mut text = Vec::new();
        client.read_to_end(&mut text).unwrap();

        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut parsed = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = parsed.parse(&text).unwrap() else {
            panic!("incomplete answer");
        };
        assert_eq!(
            (parsed.version, parsed.code, parsed.reason),
            (Some(1), Some(409), Some("Conflict"))
        );
        let headers: Vec<_> = parsed
            .headers
            .iter()
            .map(|h| (h.name, std::str::from_utf8(h.value).unwrap()))
            .collect();
        assert_eq!(
            headers,
            [
                ("Content-Type", "text/plain"),
                ("X-A", "b"),
                ("Content-Length", "4"),
                ("Connection", "close")
            ]
        );
        // The body, then the same head again without one, as for HEAD.
        assert_eq!(&text[len..len + 4], b"late");
        assert_eq!(&text[len + 4..], &text[..len]);
    }
}
