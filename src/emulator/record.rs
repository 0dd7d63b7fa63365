//! The record of the requests the site saw, for tests to check what a client sent. It is
//! bounded twice: by count and by bytes, and each body is cut to a few kilobytes with its
//! size noted, so that no client can make the emulator hold more than a few megabytes.

use std::collections::VecDeque;

use super::RecordedRequest;

/// How many requests the record keeps at most (the newest).
pub(crate) const MAX_RECORDED: usize = 10_000;
/// How many bytes of requests the record keeps at most (the newest).
pub(crate) const MAX_RECORD_BYTES: usize = 8 << 20;
/// How much of a body is kept; the rest is dropped and its size noted.
pub(crate) const MAX_RECORDED_BODY: usize = 4096;

/// What a request costs the record beyond its text: the struct and its allocations.
const OVERHEAD: usize = 128;

#[derive(Debug, Default)]
pub(crate) struct Record {
    entries: VecDeque<RecordedRequest>,
    bytes: usize,
}

impl Record {
    /// Keeps `request`, dropping the oldest ones until the record is within its bounds.
    pub fn push(&mut self, request: RecordedRequest) {
        self.bytes += cost(&request);
        self.entries.push_back(request);
        while self.entries.len() > MAX_RECORDED || self.bytes > MAX_RECORD_BYTES {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= cost(&oldest);
        }
    }

    /// The requests kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &RecordedRequest> {
        self.entries.iter()
    }

    /// What the requests kept cost, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

fn cost(request: &RecordedRequest) -> usize {
    OVERHEAD
        + request.method.len()
        + request.path.len()
        + request.query.len()
        + request.body.len()
        + request.host.as_ref().map_or(0, String::len)
        + request.content_type.as_ref().map_or(0, String::len)
}

/// The start of `text`, at most `limit` bytes, cut at a character boundary.
pub(crate) fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request(body: &str) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/x".into(),
            query: String::new(),
            body: body.into(),
            body_bytes: body.len(),
            host: None,
            content_type: None,
        }
    }

    #[test]
    fn the_record_keeps_the_newest_within_its_bytes() {
        let mut record = Record::default();
        let body = "b".repeat(MAX_RECORDED_BODY);
        for _ in 0..10_000 {
            record.push(request(&body));
            assert!(record.bytes() <= MAX_RECORD_BYTES);
        }
        let kept = record.iter().count();
        assert!(kept < 10_000 && kept > 1000, "{kept}");
        let counted: usize = record.iter().map(cost).sum();
        assert_eq!(counted, record.bytes());
    }

    #[test]
    fn the_record_keeps_at_most_its_count() {
        let mut record = Record::default();
        for _ in 0..MAX_RECORDED + 500 {
            record.push(request(""));
        }
        assert_eq!(record.iter().count(), MAX_RECORDED);
    }

    proptest! {
        #[test]
        fn cut_keeps_a_prefix_within_the_limit(text in ".{0,64}", limit in 0usize..80) {
            let kept = cut(&text, limit);
            prop_assert!(kept.len() <= limit);
            prop_assert!(text.starts_with(kept));
            prop_assert!(kept.len() + 4 > limit.min(text.len()));
        }
    }
}
