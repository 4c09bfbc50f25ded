//! The tfplugin5 `Provider` service: an empty provider configuration and the one `external`
//! data source. RPCs Terraform never sends a data-only provider are left Unimplemented.

use std::collections::HashMap;

use tonic::{Request, Response, Status};

use crate::datasource::{self, Diag};
use crate::msgpack::{self, Value};
use crate::tfplugin5 as pb;

pub struct Provider;

fn diagnostics(diags: Vec<Diag>) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: pb::diagnostic::Severity::Error as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.attribute.map(|name| pb::AttributePath {
                steps: vec![pb::attribute_path::Step {
                    selector: Some(pb::attribute_path::step::Selector::AttributeName(
                        name.to_string(),
                    )),
                }],
            }),
        })
        .collect()
}

fn decode_config(value: Option<&pb::DynamicValue>) -> Result<Value, Status> {
    let value = value.ok_or_else(|| Status::invalid_argument("missing config"))?;
    if !value.msgpack.is_empty() {
        return msgpack::decode(&value.msgpack).map_err(Status::invalid_argument);
    }
    Err(Status::invalid_argument("config is not msgpack-encoded"))
}

fn unknown_type(type_name: &str) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: "Data Source Type Not Found".to_string(),
        detail: format!(
            "The data source type name \"{type_name}\" is not supported by the provider."
        ),
        attribute: None,
    }
}

fn capabilities() -> pb::ServerCapabilities {
    // What terraform-plugin-framework advertises for every provider it serves.
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}

fn schema() -> pb::Schema {
    pb::Schema {
        version: 0,
        block: Some(pb::schema::Block {
            version: 0,
            attributes: datasource::ATTRIBUTES
                .iter()
                .map(|a| pb::schema::Attribute {
                    name: a.name.to_string(),
                    r#type: a.type_json.as_bytes().to_vec(),
                    description: a.description.to_string(),
                    required: a.required,
                    optional: a.optional,
                    computed: a.computed,
                    ..Default::default()
                })
                .collect(),
            description: datasource::DESCRIPTION.to_string(),
            ..Default::default()
        }),
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for Provider {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: vec![pb::get_metadata::DataSourceMetadata {
                type_name: datasource::TYPE_NAME.to_string(),
            }],
        }))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let empty = pb::Schema {
            version: 0,
            block: Some(pb::schema::Block::default()),
        };
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(empty),
            resource_schemas: HashMap::new(),
            data_source_schemas: HashMap::from([(datasource::TYPE_NAME.to_string(), schema())]),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        }))
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> Result<Response<pb::prepare_provider_config::Response>, Status> {
        // The provider has no arguments: the prepared config is the config.
        Ok(Response::new(pb::prepare_provider_config::Response {
            prepared_config: request.into_inner().config,
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> Result<Response<pb::validate_data_source_config::Response>, Status> {
        let request = request.into_inner();
        if request.type_name != datasource::TYPE_NAME {
            return Ok(Response::new(pb::validate_data_source_config::Response {
                diagnostics: vec![unknown_type(&request.type_name)],
            }));
        }
        let config = decode_config(request.config.as_ref())?;
        Ok(Response::new(pb::validate_data_source_config::Response {
            diagnostics: diagnostics(datasource::validate(&config)),
        }))
    }

    async fn configure(
        &self,
        _: Request<pb::configure::Request>,
    ) -> Result<Response<pb::configure::Response>, Status> {
        Ok(Response::new(pb::configure::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        if request.type_name != datasource::TYPE_NAME {
            return Ok(Response::new(pb::read_data_source::Response {
                state: None,
                diagnostics: vec![unknown_type(&request.type_name)],
            }));
        }
        let config = decode_config(request.config.as_ref())?;
        // The program blocks; keep it off the async workers.
        let outcome = tokio::task::spawn_blocking(move || datasource::read(&config))
            .await
            .map_err(|e| Status::internal(format!("read task failed: {e}")))?;
        Ok(Response::new(match outcome {
            Ok(state) => pb::read_data_source::Response {
                state: Some(pb::DynamicValue {
                    msgpack: msgpack::encode(&state),
                    json: Vec::new(),
                }),
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::read_data_source::Response {
                state: None,
                diagnostics: diagnostics(vec![diag]),
            },
        }))
    }

    async fn stop(
        &self,
        _: Request<pb::stop::Request>,
    ) -> Result<Response<pb::stop::Response>, Status> {
        datasource::STOPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Response::new(pb::stop::Response {
            error: String::new(),
        }))
    }
}
