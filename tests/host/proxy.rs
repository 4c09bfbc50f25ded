//! Proxies: a loopback base is never proxied, whatever the proxy variables say (its traffic is
//! cleartext and carries the key); an https base goes through `HTTPS_PROXY` or `ALL_PROXY`,
//! unless `NO_PROXY` names its host. A tiny proxy records what reaches it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::util::*;
use serde_json::json;

/// A proxy on a free loopback port that records each connection's request head (all its lines)
/// and answers 502. Runs until the test process ends.
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    head.push_str(&line);
                    line.clear();
                }
                record.lock().expect("the record").push(head);
                let _ =
                    (&stream).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("the record").clone()
    }

    /// Every proxy variable a client might read, pointing here.
    fn everywhere(&self, cmd: Cmd) -> Cmd {
        [
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "HTTP_PROXY",
            "http_proxy",
        ]
        .iter()
        .fold(cmd, |cmd, var| cmd.env(var, &self.url))
    }
}

#[test]
fn a_loopback_base_is_never_proxied() {
    let proxy = Recorder::start();
    for flavor in [Flavor::OpenAi, Flavor::Azure] {
        let emulator = Emulator::flavored(flavor, 20);
        let out = proxy
            .everywhere(openai_ft(&["job", "list"]).against(&emulator))
            .input(json!({}))
            .run();
        assert_eq!(out.json()["count"], "0", "{flavor:?}");
        assert_eq!(
            emulator.count(&format!(
                "GET {}/fine_tuning/jobs",
                match flavor {
                    Flavor::OpenAi => "/v1",
                    _ => "/openai/v1",
                }
            )),
            1
        );
    }
    assert_eq!(
        proxy.seen(),
        Vec::<String>::new(),
        "nothing reached the proxy"
    );
}

#[test]
fn an_https_base_goes_through_the_proxy_without_the_key_in_cleartext() {
    for var in ["HTTPS_PROXY", "ALL_PROXY"] {
        let proxy = Recorder::start();
        let line = openai_ft(&["job", "list"])
            .env("OPENAI_BASE_URL", "https://api.example.test/v1")
            .env("OPENAI_API_KEY", PROJECT_KEY)
            .env(var, &proxy.url)
            .input(json!({}))
            .run()
            .error();
        assert!(
            line.starts_with("request to https://api.example.test/v1 failed"),
            "{line}"
        );
        let seen = proxy.seen();
        assert!(!seen.is_empty(), "{var}: the proxy was used");
        for head in &seen {
            assert!(
                head.starts_with("CONNECT api.example.test:443 HTTP/1.1\r\n"),
                "{var}: {head:?}"
            );
            assert!(
                !head.contains(PROJECT_KEY),
                "{var}: the key reached the proxy"
            );
        }
    }
}

#[test]
fn no_proxy_names_hosts_that_are_reached_directly() {
    let proxy = Recorder::start();
    // A non-routable address: the direct connection fails at once or at the connect timeout.
    let line = openai_ft(&["job", "list"])
        .env("OPENAI_BASE_URL", "https://10.255.255.1:9/v1")
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_FT_CONNECT_TIMEOUT", "1")
        .env("HTTPS_PROXY", &proxy.url)
        .env("NO_PROXY", "example.com,10.255.255.1")
        .input(json!({}))
        .run()
        .error();
    assert!(line.contains("https://10.255.255.1:9/v1"), "{line}");
    assert_eq!(proxy.seen(), Vec::<String>::new());
}
