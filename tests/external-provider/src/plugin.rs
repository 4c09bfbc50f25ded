//! The go-plugin side of being a Terraform provider: the magic-cookie check, the stdout
//! handshake line, automatic mutual TLS when Terraform sends `PLUGIN_CLIENT_CERT`, and the
//! controller/stdio/health services go-plugin clients call beside the provider service.

use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer, PrivatePkcs8KeyDer,
    SignatureVerificationAlgorithm, UnixTime, alg_id,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Request, Response, Status};

use crate::health as health_pb;
use crate::plugin_pb;
use crate::server::Provider;
use crate::tfplugin5::provider_server::ProviderServer;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version and the Terraform plugin protocol this provider speaks
/// (v2.4.0 is served by terraform-plugin-framework with `ProtocolVersion: 5`).
const CORE_PROTOCOL: u32 = 1;
pub const APP_PROTOCOL: u32 = 5;

/// Serves until go-plugin's controller asks for shutdown.
pub async fn serve() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read listener address: {e}"))?;

    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.is_empty() => Some(tls_config(pem.as_bytes())?),
        _ => None,
    };
    let cert_field = tls
        .as_ref()
        .map(|(_, der)| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();

    let shutdown = Arc::new(Notify::new());
    let stdio_streams = Arc::new(Mutex::new(Vec::new()));
    let router = tonic::transport::Server::builder()
        .add_service(ProviderServer::new(Provider))
        .add_service(
            plugin_pb::grpc_controller_server::GrpcControllerServer::new(Controller {
                shutdown: shutdown.clone(),
                stdio_streams: stdio_streams.clone(),
            }),
        )
        .add_service(plugin_pb::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            streams: stdio_streams,
        }))
        .add_service(health_pb::health_server::HealthServer::new(Health));

    // The handshake line is the only thing this process ever writes to stdout.
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{CORE_PROTOCOL}|{APP_PROTOCOL}|tcp|{addr}|grpc|{cert_field}"
    )
    .and_then(|()| stdout.flush())
    .map_err(|e| format!("cannot write the handshake: {e}"))?;
    drop(stdout);

    let stopped = async move { shutdown.notified().await };
    let result = match tls {
        Some((config, _)) => {
            router
                .serve_with_incoming_shutdown(tls_incoming(listener, config), stopped)
                .await
        }
        None => {
            router
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped)
                .await
        }
    };
    result.map_err(|e| format!("grpc server failed: {e}"))
}

/// A self-signed server certificate for "localhost" (what go-plugin's client verifies against
/// the certificate in the handshake line) and a verifier pinned to Terraform's client cert.
fn tls_config(client_pem: &[u8]) -> Result<(Arc<rustls::ServerConfig>, Vec<u8>), String> {
    let client_der = CertificateDer::from_pem_slice(client_pem)
        .map_err(|e| format!("invalid PLUGIN_CLIENT_CERT: {e}"))?;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(|e| format!("cannot generate the server certificate: {e}"))?;
    let server_der = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .with_client_cert_verifier(Arc::new(PinnedClientCert {
            der: client_der.to_vec(),
        }))
        .with_single_cert(vec![CertificateDer::from(server_der.clone())], key)
        .map_err(|e| format!("tls: {e}"))?;
    // grpc-go refuses TLS servers that do not negotiate h2 through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(config), server_der))
}

fn tls_incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> ReceiverStream<Result<TlsConn, std::io::Error>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(tls) => {
                        let _ = tx.send(Ok(TlsConn(tls))).await;
                    }
                    Err(e) => eprintln!("tls handshake failed: {e}"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// A TLS connection tonic can serve (tonic only implements `Connected` for its own TLS).
pub struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl tonic::transport::server::Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Accepts exactly the certificate Terraform put in `PLUGIN_CLIENT_CERT`. go-plugin's cert is a
/// self-signed CA cert on P-521, which webpki's chain verifier and ring cannot take, so the cert
/// is pinned by its bytes and the handshake signature checked with a P-521 verifier.
#[derive(Debug)]
struct PinnedClientCert {
    der: Vec<u8>,
}

static P521_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[&EcdsaP521Sha512],
    mapping: &[(SignatureScheme::ECDSA_NISTP521_SHA512, &[&EcdsaP521Sha512])],
};

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &P521_ALGS)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &P521_ALGS)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        P521_ALGS.supported_schemes()
    }
}

#[derive(Debug)]
struct EcdsaP521Sha512;

impl SignatureVerificationAlgorithm for EcdsaP521Sha512 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use p521::ecdsa::signature::Verifier;
        let key =
            p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let signature =
            p521::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify(message, &signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }
}

type StdioSenders = Arc<Mutex<Vec<mpsc::Sender<Result<plugin_pb::StdioData, Status>>>>>;

/// go-plugin's controller: Terraform's `Close` ends here.
struct Controller {
    shutdown: Arc<Notify>,
    stdio_streams: StdioSenders,
}

#[tonic::async_trait]
impl plugin_pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: Request<plugin_pb::Empty>,
    ) -> Result<Response<plugin_pb::Empty>, Status> {
        // Ending the stdio streams lets the graceful shutdown finish; the timer covers a client
        // that keeps its connection open.
        if let Ok(mut streams) = self.stdio_streams.lock() {
            streams.clear();
        }
        self.shutdown.notify_one();
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(1));
            std::process::exit(0);
        });
        Ok(Response::new(plugin_pb::Empty {}))
    }
}

/// go-plugin's stdio sync: this provider never writes to its own stdout or stderr through it,
/// so the stream stays open and silent until shutdown.
struct Stdio {
    streams: StdioSenders,
}

#[tonic::async_trait]
impl plugin_pb::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = ReceiverStream<Result<plugin_pb::StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _: Request<plugin_pb::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let (tx, rx) = mpsc::channel(1);
        if let Ok(mut streams) = self.streams.lock() {
            streams.push(tx);
        }
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// The gRPC health check go-plugin's `Ping` calls with service "plugin".
struct Health;

#[tonic::async_trait]
impl health_pb::health_server::Health for Health {
    async fn check(
        &self,
        _: Request<health_pb::HealthCheckRequest>,
    ) -> Result<Response<health_pb::HealthCheckResponse>, Status> {
        Ok(Response::new(health_pb::HealthCheckResponse {
            status: health_pb::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}
