//! pipi as a Rust library, through its public face only: a login against the emulator with
//! the built-in walker as the browser, the site client, the cache, and the errors a caller
//! matches on.

use crate::common::free_port;
use pipi::emulator::{self, Config, Emulator};
use pipi::{
    Client, ErrorKind, Login, Lookup, NoBrowser, Paste, Progress, Refusal, Secret, TokenCache,
};
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

fn site() -> Emulator {
    let config = Config {
        redirect_url: format!("http://127.0.0.1:{}/callback", free_port()),
        ..Config::default()
    };
    Emulator::start(config, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap()
}

fn login(site: &Emulator) -> Login<'static> {
    let c = site.config();
    Login::new(
        pipi::SiteUrl::new(&site.base_url()).unwrap(),
        &c.app_id,
        Secret::new(c.app_secret.clone()),
        pipi::RedirectUrl::new(&c.redirect_url).unwrap(),
    )
    .timeout(Duration::from_secs(20))
}

#[test]
fn a_login_walks_the_pages_caches_the_token_and_reports_its_steps() {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path(), "default");
    let said = Mutex::new(Vec::new());
    let done = login(&site)
        .cache(cache.clone())
        .paste(Paste::Never)
        .open_browser(|url, abort| {
            let url = url.to_string();
            std::thread::spawn(move || {
                if let Err(e) = emulator::walk(&url, Some("2")) {
                    abort.fail(e);
                }
            });
            Ok(())
        })
        .on_progress(|step| said.lock().unwrap().push(format!("{step:?}")))
        .run()
        .unwrap();

    // The profile is entity-decoded, and the cache holds what the login returned.
    assert_eq!(done.user["user_name"], "hanako");
    assert_eq!(done.display_name(), "花子 山田 (@hanako)");
    let Lookup::Found(cached) = cache.load() else {
        panic!("nothing cached")
    };
    assert_eq!(cached.access_token, done.token.access_token);
    assert_eq!(cached.base_url, site.base_url());
    let said = said.into_inner().unwrap();
    assert!(
        said.iter()
            .any(|s| s.starts_with("Waiting {") && s.contains("timeout: 20s")),
        "{said:?}"
    );

    // The site client reads the profile with the token.
    let client = Client::new(&site.base_url(), Duration::from_secs(5)).unwrap();
    let profile = client.user_info(&done.token.access_token).unwrap();
    assert_eq!(profile.user["user_name"], "hanako");
    assert!(profile.raw.contains("\"user_info\""), "{}", profile.raw);
}

#[test]
fn errors_say_what_kind_of_failure_they_are() {
    let site = site();
    let client = Client::new(&site.base_url(), Duration::from_secs(5)).unwrap();

    let refused = client
        .user_info(&Secret::new("00000000000000000000000000000000"))
        .unwrap_err();
    assert_eq!(refused.kind(), &ErrorKind::AuthNeeded);
    assert_eq!(
        refused.server_message(),
        Some("Bad Request, invalid access_token")
    );

    let c = site.config();
    let wrong_secret = client
        .exchange_auth_key(
            &c.app_id,
            &Secret::new("ffffffffffffffffffffffffffffffff"),
            &Secret::new("not-a-key"),
        )
        .unwrap_err();
    assert_eq!(
        wrong_secret.kind(),
        &ErrorKind::Refused(Refusal::InvalidAppSecret)
    );
    let stale_key = client
        .exchange_auth_key(
            &c.app_id,
            &Secret::new(c.app_secret.clone()),
            &Secret::new("k"),
        )
        .unwrap_err();
    assert_eq!(stale_key.refusal(), Some(&Refusal::InvalidAuthKey));

    let answer = client
        .call(
            pipi::Method::Get,
            "no_such_endpoint",
            &Secret::new("t"),
            &[],
        )
        .unwrap_err();
    assert_eq!(answer.refusal(), Some(&Refusal::InvalidParameters));

    // A path trick never leaves this machine: the token goes only to the site's API.
    let before = site.requests().len();
    for trick in ["../admin", "https://evil.example/api/x", "x?access_token=y"] {
        let refused = client
            .call(pipi::Method::Get, trick, &Secret::new("t"), &[])
            .unwrap_err();
        assert_eq!(refused.kind(), &ErrorKind::InvalidEndpoint, "{trick}");
    }
    assert_eq!(site.requests().len(), before);

    let insecure = Client::new("http://pipichat.com", Duration::from_secs(5)).unwrap_err();
    assert_eq!(insecure.hint(), Some("use https://pipichat.com"));

    // Nothing listens here: a network error, which never repeats the URL's query.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = Client::new(&gone, Duration::from_secs(5))
        .unwrap()
        .user_info(&Secret::new("0123456789abcdef0123456789abcdef"))
        .unwrap_err();
    assert_eq!(offline.kind(), &ErrorKind::Network);
    assert!(
        !offline.to_string().contains("0123456789abcdef"),
        "{offline}"
    );
}

#[test]
fn a_cancelled_login_stops_and_leaves_the_cache_alone() {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path(), "default");
    let seen = Mutex::new(Vec::new());
    // The login is cancelled once it waits for the browser: when it shows the URL to open.
    let (waiting, is_waiting) = std::sync::mpsc::channel();
    let waiting = Mutex::new(waiting);
    let login = login(&site)
        .cache(cache.clone())
        .no_browser(NoBrowser::Asked)
        .paste(Paste::Never)
        .on_progress(|step| {
            if let Progress::OpenUrl(url) = step {
                seen.lock().unwrap().push(url.to_string());
                let _ = waiting.lock().unwrap().send(());
            }
        });
    let cancel = login.cancel_handle();
    let stopper = std::thread::spawn(move || {
        is_waiting.recv().unwrap();
        assert!(!cancel.cancel(), "the first cancel is the first");
    });
    let err = login.run().unwrap_err();
    stopper.join().unwrap();
    assert_eq!(err.kind(), &ErrorKind::Interrupted);
    assert!(matches!(cache.load(), Lookup::Missing));
    assert_eq!(seen.into_inner().unwrap(), [site.oauth_url()]);
}

#[test]
fn a_login_can_be_handed_the_socket_its_redirect_url_was_made_from() {
    // The port is known, and held, before the redirect URL is registered with the site:
    // nobody can take it in between.
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let redirect_url = format!("http://{}/callback", socket.local_addr().unwrap());
    let config = Config {
        redirect_url: redirect_url.clone(),
        auto_approve: true,
        ..Config::default()
    };
    let site = Emulator::start(config, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let walk = |url: &str, abort: pipi::Abort| {
        let url = url.to_string();
        std::thread::spawn(move || {
            if let Err(e) = emulator::walk(&url, None) {
                abort.fail(e);
            }
        });
        Ok(())
    };
    let done = login(&site)
        .paste(Paste::Never)
        .listen_on(socket)
        .open_browser(walk)
        .run()
        .unwrap();
    assert_eq!(done.user["user_name"], "jose");

    // A socket on another address than the redirect URL's is refused before anything.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = login(&site)
        .paste(Paste::Never)
        .listen_on(elsewhere)
        .open_browser(walk)
        .run()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not the address of the redirect URL"),
        "{err}"
    );
}
