//! Generates the gRPC server stubs from the wire-contract protos in `proto/`, compiled by protox
//! (a protobuf compiler in Rust), so building the stand-in needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/tfplugin5.proto",
        "proto/plugin.proto",
        "proto/health.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .compile_fds(descriptors)?;
    Ok(())
}
