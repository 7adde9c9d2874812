//! One heavy client must not starve the others (issue 15, defect 3): large schemas are
//! parsed and checked off the async workers, a bounded number at a time, and beyond that the
//! registry answers 429 with `Retry-After` instead of queueing without bound.

use crate::common::*;
use schemata::registry::RegistryOptions;
use serde_json::json;

/// An Avro record with `fields` int fields: about 40 bytes of text each.
fn wide_record(name: &str, fields: usize) -> serde_json::Value {
    let fields: Vec<_> = (0..fields)
        .map(|i| json!({ "name": format!("f{i}"), "type": "int", "default": 0 }))
        .collect();
    json!({ "type": "record", "name": name, "fields": fields })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_schemas_do_not_starve_reads_and_overflow_is_a_429() {
    let options = RegistryOptions {
        max_waiting_checks: 0,
        ..RegistryOptions::default()
    };
    let app = spawn_app_with(Backend::Sqlite, options).await;
    let id = app.register("small", &wide_record("Small", 2)).await;
    let heavy: Vec<_> = (0..12)
        .map(|n| {
            let body = json!({ "schema": wide_record(&format!("Wide{n}"), 2500).to_string() });
            let (client, url) = (
                app.client.clone(),
                format!("{}/subjects/wide-{n}/versions", app.base),
            );
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
        })
        .collect();
    // Reads and liveness keep answering while the large schemas are parsed.
    for _ in 0..5 {
        app.get("/health").await.assert_ok();
        app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    }
    for registration in heavy {
        let response = registration.await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let body: serde_json::Value = response.json().await.unwrap();
        match status {
            200 => assert!(body["id"].is_i64(), "{body}"),
            429 => {
                assert_eq!(body["error_code"], 42901, "{body}");
                assert_eq!(retry_after.unwrap(), "1");
            }
            other => panic!("{other}: {body}"),
        }
    }
    app.cleanup().await;
}
