//! Generates the gRPC server stubs from the wire-contract protos in `proto/` (needs `protoc`,
//! installed by `scripts/setup`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tonic_prost_build::configure()
        .build_client(false)
        .compile_protos(
            &[
                "proto/tfplugin5.proto",
                "proto/plugin.proto",
                "proto/health.proto",
            ],
            &["proto"],
        )?;
    Ok(())
}
