//! One data point under the root, a number that grows every 100 ms and can be written;
//! admin/admin logs in. `cargo run -p xentara-ws-tokio --example one_point -- ADDR`.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use xentara_ws_tokio::DataType::Float64;
use xentara_ws_tokio::{Access::ReadWrite, AttrValue, Attribute, AttributeId, AttributeInfo};
use xentara_ws_tokio::{Element, ElementCategory, ErrorCode, ErrorObject, Model, Server};
use xentara_ws_tokio::{Uuid, Value};

/// The data point, under the root.
pub const POINT: Uuid = Uuid::from_u128(0x0e7a_52c1_9f3b_4d6e_8a10_2b4c_6d8e_f012);

struct OnePoint(Mutex<f64>);

impl Model for OnePoint {
    fn element(&self, id: Uuid) -> Option<Element> {
        (id == POINT).then(|| Element::new("Point", ElementCategory::DataPoint))
    }
    fn children(&self, id: Uuid) -> Vec<Uuid> {
        if id.is_nil() { vec![POINT] } else { vec![] }
    }
    fn attributes(&self, _: Uuid) -> Vec<AttributeInfo> {
        let value = AttributeInfo::new("value", Attribute::Value, ReadWrite, Float64);
        vec![value]
    }
    fn read(&self, _: Uuid, _: AttributeId) -> AttrValue {
        Ok(Value::Float(*self.0.lock().unwrap()))
    }
    fn write(&self, _: Uuid, _: AttributeId, v: Value, _: Option<&str>) -> Result<(), ErrorObject> {
        let Value::Float(x) = v else {
            return Err(ErrorCode::TypeMismatch.into());
        };
        *self.0.lock().unwrap() = x;
        Ok(())
    }
    fn login(&self, user: &str, password: &str) -> bool {
        user == "admin" && password == "admin"
    }
}

/// Serves the point on `listener` until the process ends.
pub async fn run(listener: TcpListener) -> std::io::Result<()> {
    let model = Arc::new(OnePoint(Mutex::new(0.0)));
    let server = Server::model(model.clone()).serve(listener)?;
    eprintln!("serving ws://{}/api/ws", server.local_addr());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        *model.0.lock().unwrap() += 0.5;
        server.changes().changed(POINT);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or("127.0.0.1:8080");
    run(TcpListener::bind(addr).await?).await
}
