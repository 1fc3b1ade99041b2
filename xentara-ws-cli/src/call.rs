//! `call`: one request, its typed answer printed (or as JSON with `--json`).

use std::process::ExitCode;

use serde_json::json;
use xentara_ws_tokio::{AttrValue, AttributeId, Client, Uuid};

use crate::connect::Connect;
use crate::names;

/// `call URL OPERATION …`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's URL: ws://HOST:PORT/PATH or wss://…; `user:password@` before the
    /// host gives Basic credentials.
    url: String,
    #[command(flatten)]
    connect: Connect,
    /// Print the answer as one JSON object.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    operation: Operation,
}

#[derive(Debug, clap::Subcommand)]
enum Operation {
    /// An element's UUID from its primary key (lookup, opcode 3).
    Lookup {
        /// The primary key, e.g. "Group 1.Data Point 1".
        key: String,
    },
    /// Attribute values (read, opcode 4).
    Read {
        /// The element: a UUID or a primary key.
        element: String,
        /// The attributes (names such as value, quality, change_time; numbers; UUIDs).
        #[arg(default_value = "value")]
        attributes: Vec<String>,
    },
    /// Set one attribute (write, opcode 5).
    Write {
        /// The element: a UUID or a primary key.
        element: String,
        /// The value: true, false, null, an integer, a float, else a text.
        value: String,
        /// The attribute.
        #[arg(long, default_value = "value")]
        attribute: String,
    },
    /// The elements below one, as a tree (browse, opcode 1).
    Browse {
        /// The element (a UUID or a primary key); the root when absent.
        element: Option<String>,
        /// How many levels (all when absent).
        #[arg(long)]
        depth: Option<u64>,
    },
    /// An element's metadata (meta_data, opcode 2).
    MetaData {
        /// The element: a UUID or a primary key.
        element: String,
    },
    /// The server's properties (server_information, opcode 0).
    ServerInformation,
    /// The operational stage (get_stage, opcode 8).
    GetStage,
}

/// Runs `call`.
pub fn run(args: Args) -> Result<ExitCode, String> {
    crate::runtime()?.block_on(async {
        let client = args.connect.client(&args.url).await?;
        let answer = answer(&client, &args.operation).await;
        client.close().await;
        let (text, value) = answer?;
        if args.json {
            println!("{value}");
        } else {
            print!("{text}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The answer as text lines and as JSON.
async fn answer(
    client: &Client,
    operation: &Operation,
) -> Result<(String, serde_json::Value), String> {
    let failed = |e: xentara_ws_tokio::Error| e.to_string();
    Ok(match operation {
        Operation::Lookup { key } => {
            let id = client.lookup(key).await.map_err(failed)?;
            (format!("{id}\n"), json!({ "element": id.to_string() }))
        }
        Operation::Read {
            element,
            attributes,
        } => {
            let element = names::element(client, element).await?;
            let ids = attributes
                .iter()
                .map(|a| names::attribute(a))
                .collect::<Result<Vec<_>, _>>()?;
            let values = client.read(element, &ids).await.map_err(failed)?;
            (lines(&values), values_json(&values))
        }
        Operation::Write {
            element,
            value,
            attribute,
        } => {
            let element = names::element(client, element).await?;
            let attribute = names::attribute(attribute)?;
            let value = names::value(value);
            client
                .write(element, attribute, value.clone())
                .await
                .map_err(failed)?;
            (
                format!("{attribute} = {value}\n"),
                json!({ "written": { attribute.to_string(): names::json(&value) } }),
            )
        }
        Operation::Browse { element, depth } => {
            let element = match element {
                Some(element) => names::element(client, element).await?,
                None => Uuid::nil(),
            };
            let entries = client.browse(element, *depth, None).await.map_err(failed)?;
            let mut text = String::new();
            let mut list = Vec::new();
            for entry in &entries {
                let level = entry.primary_key.matches('.').count();
                let name = entry.primary_key.rsplit('.').next().unwrap_or_default();
                text += &format!(
                    "{}{name}  ({}, {})\n",
                    "  ".repeat(level),
                    entry.category,
                    entry.element
                );
                list.push(json!({
                    "primary_key": entry.primary_key,
                    "element": entry.element.to_string(),
                    "category": entry.category.to_string(),
                }));
            }
            (text, json!({ "elements": list }))
        }
        Operation::MetaData { element } => {
            let element = names::element(client, element).await?;
            let ids = xentara_ws_tokio::MetaDataId::ALL;
            let meta = client.meta_data(element, ids).await.map_err(failed)?;
            let mut text = String::new();
            let mut attributes = Vec::new();
            if let Some(key) = &meta.primary_key {
                text += &format!("primary key: {key}\n");
            }
            if let Some(category) = meta.category {
                text += &format!("category: {category}\n");
            }
            if let Some(children) = meta.has_children {
                text += &format!("has children: {children}\n");
            }
            for a in meta.attributes.iter().flatten() {
                text += &format!(
                    "attribute {} ({}): {}, {}\n",
                    a.name, a.id, a.data_type, a.access
                );
                attributes.push(json!({
                    "name": a.name,
                    "id": a.id.to_string(),
                    "type": a.data_type.to_string(),
                    "access": a.access.to_string(),
                }));
            }
            let value = json!({
                "primary_key": meta.primary_key,
                "category": meta.category.map(|c| c.to_string()),
                "has_children": meta.has_children,
                "attributes": attributes,
            });
            (text, value)
        }
        Operation::ServerInformation => {
            let ids = xentara_ws_tokio::ServerInfo::ALL;
            let info = client.server_information(ids).await.map_err(failed)?;
            let mut text = String::new();
            let mut map = serde_json::Map::new();
            for (id, value) in &info {
                text += &format!("{id}: {value}\n");
                map.insert(id.to_string(), names::json(value));
            }
            (text, serde_json::Value::Object(map))
        }
        Operation::GetStage => {
            let stage = client.get_stage().await.map_err(failed)?;
            (format!("{stage}\n"), json!({ "stage": stage.to_string() }))
        }
    })
}

/// `name = value` lines (an attribute's error as `name: error CODE message`).
fn lines(values: &[(AttributeId, AttrValue)]) -> String {
    values
        .iter()
        .map(|(attribute, value)| match value {
            Ok(value) => format!("{attribute} = {value}\n"),
            Err(e) => format!("{attribute}: error {} {}\n", e.code.code(), e.text()),
        })
        .collect()
}

/// `{name: value}`, an attribute's error as `{"error": {"code", "message"}}`.
fn values_json(values: &[(AttributeId, AttrValue)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (attribute, value) in values {
        let value = match value {
            Ok(value) => names::json(value),
            Err(e) => json!({ "error": { "code": e.code.code(), "message": e.text() } }),
        };
        map.insert(attribute.to_string(), value);
    }
    serde_json::Value::Object(map)
}
