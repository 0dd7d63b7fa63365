//! The redirect's address, or its bare key, pasted on stdin: the way in when the browser is
//! on another machine, cannot reach the listener, or was sent where no listener can be.

use super::callback::find_auth_key;
use crate::secret::Secret;
use std::io::{BufRead, ErrorKind};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// A line longer than this is no address the site produced, whatever it is.
const MAX_LINE: usize = 8 * 1024;
/// A bare key must look like one: Sngine's are 32 hex digits (md5); anything much shorter is
/// a word typed by mistake, not a key.
const MIN_BARE_KEY: usize = 16;
const MAX_KEY: usize = 128;
/// Lines read and not yet taken by the login. The reader waits past it, so that stdin
/// faster than the login (`yes |`) costs no memory, and an order to stop or the deadline,
/// sent down the same channel, never waits behind a backlog.
pub(crate) const MAX_QUEUED: usize = 4;

/// One pasted line. It may hold a key, so it never prints, and nothing of it goes into a
/// message or a log record: a line that is no key is answered with a reason that does not
/// repeat it, and the key found in one becomes a [`Secret`], which the key exchange masks
/// in whatever it says.
pub(crate) struct Line(String);

impl Line {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[pasted line]")
    }
}

/// What came from stdin.
pub(crate) enum Input {
    /// One line, without its line ending.
    Line(Line),
    /// A line longer than [`MAX_LINE`], dropped.
    TooLong,
    /// The end of input (or an error reading it): nothing more will come.
    Closed,
}

/// What came from stdin, holding one of the [`MAX_QUEUED`] places until it is dropped.
pub(crate) struct Pasted {
    pub input: Input,
    _place: Place,
}

/// Reads stdin line by line on a background thread, sending each into `tx`, at most
/// [`MAX_QUEUED`] not yet taken. The thread is left to itself: a read that blocks on stdin
/// must never keep the process alive, and it does not, since the process ends when `main`
/// returns.
pub(crate) fn read_stdin<E: Send + 'static>(tx: Sender<E>, wrap: fn(Pasted) -> E) {
    let queue = Queue::default();
    let spawned = std::thread::Builder::new()
        .name("pipi-paste".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            loop {
                let place = queue.wait_for_place();
                let input = read_line(&mut stdin);
                let closed = matches!(input, Input::Closed);
                let pasted = Pasted {
                    input,
                    _place: place,
                };
                if tx.send(wrap(pasted)).is_err() || closed {
                    return;
                }
            }
        });
    // Without a thread there is no paste; the listener, if any, still waits.
    drop(spawned);
}

/// How many lines are read and not yet taken, with a signal for the reader when one is.
#[derive(Clone, Default)]
struct Queue(Arc<(Mutex<usize>, Condvar)>);

/// A line's place in the [`Queue`], given back when dropped.
struct Place(Queue);

impl Queue {
    /// Waits until fewer than [`MAX_QUEUED`] lines are waiting, and takes a place.
    fn wait_for_place(&self) -> Place {
        let (count, taken) = &*self.0;
        let mut count = count.lock().unwrap_or_else(PoisonError::into_inner);
        while *count >= MAX_QUEUED {
            count = taken.wait(count).unwrap_or_else(PoisonError::into_inner);
        }
        *count += 1;
        Place(self.clone())
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        *self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let (count, taken) = &*self.0.0;
        *count.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        taken.notify_one();
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes; a longer one is read to its end and
/// dropped.
pub(crate) fn read_line(reader: &mut impl BufRead) -> Input {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Input::Closed,
        };
        if buf.is_empty() {
            // The last line may lack its newline.
            return match (too_long, line.is_empty()) {
                (true, _) => Input::TooLong,
                (false, true) => Input::Closed,
                (false, false) => Input::Line(to_line(line)),
            };
        }
        let (taken, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !too_long {
            line.extend_from_slice(&buf[..taken]);
            if line.len() > MAX_LINE + 2 {
                too_long = true;
                line = Vec::new();
            }
        }
        reader.consume(taken);
        if done {
            return if too_long {
                Input::TooLong
            } else {
                Input::Line(to_line(line))
            };
        }
    }
}

fn to_line(line: Vec<u8>) -> Line {
    let text = String::from_utf8_lossy(&line);
    Line(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Finds the key in what was pasted: the whole address the browser was sent to (any host,
/// the query joined plainly as Sngine does or normally), its query, or the bare key. The
/// error says why the line is neither, without repeating it.
pub(crate) fn parse(pasted: &str) -> Result<Secret, &'static str> {
    let text = pasted.trim();
    if text.is_empty() {
        return Err("nothing was pasted");
    }
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    if text.contains("auth_key") {
        let query = text.split_once('?').map_or(text, |(_, query)| query);
        return find_auth_key(query).ok_or("the auth_key in that address is not a valid key");
    }
    let is_key = (MIN_BARE_KEY..=MAX_KEY).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric());
    if is_key {
        return Ok(Secret::new(text));
    }
    if text.contains("://") || text.contains('?') {
        return Err(
            "that address has no auth_key: paste the one the browser was sent to after approving, not the login page's",
        );
    }
    Err("that is neither an address with an auth_key nor a key")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn key(pasted: &str) -> Result<String, &'static str> {
        parse(pasted).map(|k| k.expose().to_string())
    }

    #[test]
    fn addresses_queries_and_bare_keys_give_the_key() {
        for pasted in [
            format!("http://127.0.0.1:8765/callback?src=cli?auth_key={KEY}"),
            format!("http://localhost:8765/callback?auth_key={KEY}\r\n"),
            format!("  https://app.example/after-login?auth_key={KEY}#top  "),
            format!("https://app.example/cb?a=1&auth_key={KEY}&b=2"),
            format!("127.0.0.1:8765/callback?auth_key={KEY}"),
            format!("auth_key={KEY}"),
            format!("{KEY}\n"),
            format!("\t{KEY} "),
        ] {
            assert_eq!(key(&pasted).as_deref(), Ok(KEY), "{pasted:?}");
        }
    }

    #[test]
    fn anything_else_says_why_without_repeating_it() {
        let why = |pasted: &str| key(pasted).unwrap_err();
        assert_eq!(why(""), "nothing was pasted");
        assert_eq!(why("  \r\n"), "nothing was pasted");
        assert!(why("yes").starts_with("that is neither"));
        assert!(
            why("0123456789abcde").starts_with("that is neither"),
            "too short"
        );
        assert!(why(&"a".repeat(129)).starts_with("that is neither"));
        assert!(why("https://pipichat.com/api/oauth?app_id=4242").contains("no auth_key"));
        assert!(why("http://127.0.0.1:8765/callback?auth_key=").contains("not a valid key"));
        assert!(why("http://x/cb?auth_key=<script>").contains("not a valid key"));
        for pasted in ["yes", "http://x/cb?auth_key=<b>", "https://x/?a=b"] {
            assert!(!why(pasted).contains(pasted));
        }
    }

    #[test]
    fn lines_are_read_bounded_and_to_the_end() {
        let text = format!("first\r\n{}\nlast", "x".repeat(3 * MAX_LINE));
        let mut reader = std::io::BufReader::with_capacity(64, text.as_bytes());
        let mut next = || match read_line(&mut reader) {
            Input::Line(line) => format!("line {}", line.expose()),
            Input::TooLong => "too long".to_string(),
            Input::Closed => "closed".to_string(),
        };
        assert_eq!(next(), "line first");
        assert_eq!(next(), "too long");
        assert_eq!(next(), "line last");
        assert_eq!(next(), "closed");
        assert_eq!(next(), "closed");
    }

    #[test]
    fn the_reader_waits_while_the_queue_is_full() {
        let queue = Queue::default();
        let mut places: Vec<Place> = (0..MAX_QUEUED).map(|_| queue.wait_for_place()).collect();
        assert_eq!(queue.waiting(), MAX_QUEUED);
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let place = queue.wait_for_place();
                tx.send(()).unwrap();
                place
            })
        };
        // Still waiting: the queue is full, however long it is given.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        places.pop();
        rx.recv().unwrap();
        places.push(reader.join().unwrap());
        assert_eq!(queue.waiting(), MAX_QUEUED);
        drop(places);
        assert_eq!(queue.waiting(), 0);
    }

    #[test]
    fn bytes_that_are_not_text_are_no_key() {
        let mut reader: &[u8] = b"\xff\xfe0123456789abcdef0123\n";
        let Input::Line(line) = read_line(&mut reader) else {
            panic!("a line")
        };
        assert!(parse(line.expose()).is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn any_pasted_text_gives_a_plausible_key_or_a_reason(text in any::<String>()) {
                match parse(&text) {
                    Ok(key) => {
                        let key = key.expose();
                        prop_assert!(!key.is_empty() && key.len() <= MAX_KEY);
                        prop_assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
                    }
                    // The reason never repeats what was pasted.
                    Err(why) => prop_assert!(text.trim().len() < 8 || !why.contains(text.trim())),
                }
            }

            #[test]
            fn a_bare_key_is_taken_as_it_is(key in "[a-zA-Z0-9]{16,128}", pad in "[ \t]{0,3}") {
                let pasted = format!("{pad}{key}{pad}");
                let parsed = parse(&pasted).unwrap();
                prop_assert_eq!(parsed.expose(), key.as_str());
            }

            #[test]
            fn any_bytes_on_stdin_are_read_in_bounded_lines_as_a_whole_split_gives(
                (head, long, tail) in (
                    proptest::collection::vec(any::<u8>(), 0..400),
                    0..3 * MAX_LINE,
                    proptest::collection::vec(any::<u8>(), 0..400),
                ),
            ) {
                // Random bytes, with a run long enough to make lines over the limit.
                let mut bytes = head;
                bytes.resize(bytes.len() + long, b'k');
                bytes.extend(tail);
                let mut reader = std::io::BufReader::with_capacity(64, bytes.as_slice());
                let mut read = Vec::new();
                loop {
                    match read_line(&mut reader) {
                        Input::Line(line) => {
                            // Within the bound in bytes read; a byte that is not UTF-8 reads
                            // as U+FFFD, three bytes.
                            prop_assert!(line.expose().len() <= 3 * (MAX_LINE + 2));
                            read.push(Some(line.expose().to_string()));
                        }
                        Input::TooLong => read.push(None),
                        Input::Closed => break,
                    }
                    prop_assert!(read.len() <= bytes.len() + 1);
                }
                // The same as splitting the whole input at once: a line is kept if it is
                // within the bound with its ending, and dropped as too long otherwise.
                let mut expected: Vec<Option<String>> = Vec::new();
                let mut rest = bytes.as_slice();
                while !rest.is_empty() {
                    let end = rest.iter().position(|b| *b == b'\n').map_or(rest.len(), |i| i + 1);
                    let (line, after) = rest.split_at(end);
                    expected.push((line.len() <= MAX_LINE + 2).then(|| {
                        String::from_utf8_lossy(line).trim_end_matches(['\n', '\r']).to_string()
                    }));
                    rest = after;
                }
                prop_assert_eq!(read, expected);
            }
        }
    }
}
