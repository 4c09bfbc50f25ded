//! `terraform-provider-external`: a tests-only stand-in for hashicorp/external v2.4.0, served
//! over go-plugin/gRPC like the real one, for machines that cannot reach the registry. Real
//! users get the real provider from registry.terraform.io.

mod datasource;
mod msgpack;
mod plugin;
mod server;

// Generated from proto/; the request/response namespaces are never constructed themselves.
#[allow(dead_code)]
mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}
mod plugin_pb {
    tonic::include_proto!("plugin");
}
mod health {
    tonic::include_proto!("grpc.health.v1");
}

use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-external: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    if std::env::var(plugin::MAGIC_COOKIE_KEY).as_deref() != Ok(plugin::MAGIC_COOKIE_VALUE) {
        // go-plugin's own refusal, so a person running the binary by hand learns what it is.
        return Err("This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically".to_string());
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let wanted = plugin::APP_PROTOCOL.to_string();
        if !versions.is_empty() && !versions.split(',').any(|v| v.trim() == wanted) {
            return Err(format!(
                "unsupported plugin protocol versions \"{versions}\": this provider serves only protocol 5"
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        // Terraform forwards Ctrl-C as Stop; the provider itself must survive the signal.
        tokio::spawn(async { while tokio::signal::ctrl_c().await.is_ok() {} });
        plugin::serve().await
    })?;
    // A program still running in a blocking task must not hold the exit up.
    std::process::exit(0)
}
