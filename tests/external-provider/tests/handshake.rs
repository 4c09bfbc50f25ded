//! The go-plugin handshake as Terraform sees it: the magic-cookie refusal, protocol selection,
//! and the stdout line `1|5|tcp|addr|grpc|cert` with and without automatic mTLS.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use base64::Engine;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-external");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn provider() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the provider, reads its handshake line, and stops it.
fn handshake(cmd: &mut Command) -> Vec<String> {
    let mut child = cmd.spawn().expect("provider starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .expect("handshake line");
    child.kill().expect("provider stops");
    let _ = child.wait();
    line.trim_end().split('|').map(str::to_string).collect()
}

#[test]
fn refuses_to_run_outside_terraform() {
    let out = provider().output().expect("provider runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "terraform-provider-external: This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically\n"
    );
}

#[test]
fn refuses_a_client_without_protocol_5() {
    let out = provider()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .output()
        .expect("provider runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "terraform-provider-external: unsupported plugin protocol versions \"6\": this provider serves only protocol 5\n"
    );
}

#[test]
fn plaintext_handshake_without_a_client_cert() {
    let parts = handshake(
        provider()
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
    );
    assert_eq!(parts.len(), 6, "{parts:?}");
    assert_eq!(&parts[..3], ["1", "5", "tcp"]);
    let addr: std::net::SocketAddr = parts[3].parse().expect("listen address");
    assert!(addr.ip().is_loopback());
    assert_eq!(parts[4], "grpc");
    assert_eq!(parts[5], "");
}

#[test]
fn mtls_handshake_carries_the_server_cert() {
    let client =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("client cert");
    let parts = handshake(
        provider()
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5")
            .env("PLUGIN_CLIENT_CERT", client.cert.pem()),
    );
    assert_eq!(parts.len(), 6, "{parts:?}");
    // go-plugin decodes the field with base64.RawStdEncoding and parses it as DER.
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&parts[5])
        .expect("unpadded base64");
    assert_eq!(der[0], 0x30, "DER SEQUENCE");
    assert!(der.windows(9).any(|w| w == b"localhost"));
}
