//! The login's steps in words: the library reports each as data ([`Progress`]), and this
//! is where pipi says it to the person, with the keys they can press and the commands they
//! can run.

use pipi::{PasteFrom, Progress};

/// One step of the login as a sentence for stderr.
pub fn sentence(progress: &Progress<'_>) -> String {
    match progress {
        Progress::Uncatchable {
            redirect_url,
            https: true,
        } => format!(
            "The app's redirect URL {redirect_url} is https, which pipi's plain HTTP listener \
             cannot answer, so the browser will show an error page there: that is expected."
        ),
        Progress::Uncatchable { redirect_url, .. } => format!(
            "The app's redirect URL {redirect_url} is not an http:// address on this machine, \
             so pipi cannot catch the browser there."
        ),
        Progress::NoBrowser(why) => format!("No browser is started: {why}."),
        Progress::BrowserFailed(e) => format!("could not open a browser: {e:#}"),
        Progress::OpenUrl(url) => format!("Open this URL to log in: {url}"),
        Progress::PasteInstructions(from) => paste_instructions(*from),
        Progress::ReadingStdin => {
            "stdin is not a terminal: the address or key is also taken from it.".to_string()
        }
        Progress::Waiting {
            waiting_for,
            timeout,
        } => {
            let how_long = super::output::duration(*timeout);
            match (waiting_for.redirect_url, waiting_for.paste) {
                (Some(url), false) => format!(
                    "Waiting up to {how_long} for the site to send the browser back to {url} (Ctrl-C to stop)..."
                ),
                _ => format!("Waiting up to {how_long} for {waiting_for} (Ctrl-C to stop)..."),
            }
        }
        Progress::PasteRejected(why) => format!("{why}; paste the address or the key again"),
        Progress::PasteTooLong => {
            "that line is too long to be an address or a key; paste it again".to_string()
        }
        Progress::PastesIgnored(1) => "1 more line from stdin held no address or key".to_string(),
        Progress::PastesIgnored(lines) => {
            format!("{lines} more lines from stdin held no address or key")
        }
        Progress::StillWaiting(what) => format!("Still waiting for {what}."),
        Progress::StdinClosed(url) => {
            format!("stdin is closed; still waiting for the browser to come back to {url}.")
        }
        Progress::AppNotChecked(said) => format!(
            "could not check the app before the login: the site answered \"{said}\", in words pipi does not read; going on"
        ),
        Progress::KeyRefused { error, waiting_for } => {
            format!("{error:#}; still waiting for {waiting_for}")
        }
        other => format!("{other:?}"),
    }
}

/// What to paste, and from where.
fn paste_instructions(from: PasteFrom<'_>) -> String {
    match from {
        PasteFrom::AnyBrowser(url) => format!(
            "Any browser will do, on this machine or another (a laptop, a phone).\n\
             After you approve, paste here the address it was sent to (it starts with {url} and ends with the key, after \
             auth_key=, even if that page does not load) or just the key, and press Enter."
        ),
        PasteFrom::ErrorPage => {
            "After you approve, copy the address from the browser's address bar (it contains \
              auth_key=), paste it here (or just the key) and press Enter."
                .to_string()
        }
        // PasteFrom::AnotherSite, and any the library adds later.
        _ => "After you approve, copy the address the browser lands on (it contains auth_key=), \
              paste it here (or just the key) and press Enter. Copy it before that page can use \
              the key: a key works once."
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_survive_the_masking_of_every_line() {
        // Masking reads the word after `auth_key=` as a key; the instructions must not put
        // one there, or the person reads "auth_key=[redacted] the key".
        let listen = PasteFrom::AnyBrowser("http://127.0.0.1:8765/callback");
        for from in [listen, PasteFrom::ErrorPage, PasteFrom::AnotherSite] {
            let text = paste_instructions(from);
            assert!(text.contains("auth_key="), "{text}");
            assert_eq!(crate::cli::redaction::redact(&text), text);
        }
    }
}
