//! What the command line names: elements (a UUID or a primary key), attributes (a
//! standard name or number, or a UUID) and values; and values as JSON.

use xentara_ws_tokio::{Attribute, AttributeId, Client, Uuid, Value};

/// An attribute by its spec name (`value`, `change_time`, `Change Time`: case, spaces and
/// underscores do not count), its number, or a UUID.
pub fn attribute(text: &str) -> Result<AttributeId, String> {
    let wanted = normal(text);
    if let Some(a) = Attribute::ALL.iter().find(|a| normal(a.name()) == wanted) {
        return Ok((*a).into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Ok(Attribute::from_u64(n).into());
    }
    if let Ok(id) = text.parse::<Uuid>() {
        return Ok(AttributeId::Uuid(id));
    }
    let names: Vec<String> = Attribute::ALL.iter().map(|a| normal(a.name())).collect();
    Err(format!(
        "{text:?} is not an attribute: one of {}, a number or a UUID",
        names.join(", ")
    ))
}

/// Lower case, without spaces and underscores.
fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// An element: a UUID as it is, else a primary key looked up on the server.
pub async fn element(client: &Client, text: &str) -> Result<Uuid, String> {
    match text.parse::<Uuid>() {
        Ok(id) => Ok(id),
        Err(_) => client
            .lookup(text)
            .await
            .map_err(|e| format!("lookup {text:?}: {e}")),
    }
}

/// A value from the command line: `true`/`false`, `null`, an integer, a float, else a
/// text (quote it in the shell to keep a number a text: `'"42"'`).
pub fn value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') => {
            Value::Text(text[1..text.len() - 1].to_owned())
        }
        _ => text
            .parse::<i64>()
            .map(Value::Int)
            .or_else(|_| text.parse::<f64>().map(Value::Float))
            .unwrap_or_else(|_| Value::Text(text.to_owned())),
    }
}

/// A value as JSON: numbers, booleans, texts and null as they are; a UUID, a time point
/// (ISO 8601) as text; bytes and other CBOR as hex.
pub fn json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::from(*n),
        Value::UInt(n) => J::from(*n),
        Value::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
        Value::Text(t) => J::String(t.clone()),
        Value::Bytes(b) | Value::Other(b) => J::String(hex::encode(b)),
        Value::Uuid(u) => J::String(u.to_string()),
        Value::Time(t) => J::String(t.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_by_name_number_or_uuid() {
        assert_eq!(attribute("value"), Ok(Attribute::Value.into()));
        assert_eq!(attribute("change_time"), Ok(Attribute::ChangeTime.into()));
        assert_eq!(attribute("Change Time"), Ok(Attribute::ChangeTime.into()));
        assert_eq!(attribute("9"), Ok(Attribute::Quality.into()));
        let id = "e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8";
        assert_eq!(attribute(id), Ok(AttributeId::Uuid(id.parse().unwrap())));
        let e = attribute("colour").unwrap_err();
        assert!(e.starts_with("\"colour\" is not an attribute: one of primarykey, name,"));
    }

    #[test]
    fn values_from_the_command_line() {
        assert_eq!(value("25.5"), Value::Float(25.5));
        assert_eq!(value("-3"), Value::Int(-3));
        assert_eq!(value("true"), Value::Bool(true));
        assert_eq!(value("\"42\""), Value::Text("42".into()));
        assert_eq!(value("on"), Value::Text("on".into()));
    }
}
