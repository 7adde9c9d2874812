//! `openapi/openapi.yaml` describes the API as served: every route of the router is in the
//! document and every operation of the document is routed.

use crate::common::*;
use reqwest::Method;
use schemata::api::ROUTES;
use std::collections::BTreeSet;

fn document_operations() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi/openapi.yaml exists");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().unwrap().to_ascii_uppercase();
            if ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
                .contains(&method.as_str())
            {
                ops.insert((method, path.as_str().unwrap().to_string()));
            }
        }
    }
    ops
}

#[test]
fn document_lists_exactly_the_served_routes() {
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let documented = document_operations();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

/// ROUTES is the router's table: each listed operation is routed, and on each listed path
/// every method not listed answers 405 (so the router offers nothing unlisted there).
#[tokio::test]
async fn route_table_matches_the_router() {
    let app = spawn_app(Backend::Sqlite).await;
    let concrete = |template: &str| {
        template
            .replace("{subject}", "s")
            .replace("{version}", "1")
            .replace("{id}", "1")
            .replace("{guid}", "g")
            .replace("{context}", ":.c:")
    };
    let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    for path in paths {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            let listed = ROUTES.contains(&(method, path));
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let r = app
                .request(m, &concrete(path), Some(serde_json::json!({})))
                .await;
            if listed {
                let unrouted = r.status == 405 || (r.status == 404 && r.error_code() == 404);
                assert!(
                    !unrouted,
                    "{method} {path} is listed but not routed: {} {}",
                    r.status, r.text
                );
            } else {
                assert_eq!(
                    r.status, 405,
                    "{method} {path} is routed but not listed: {}",
                    r.text
                );
            }
        }
    }
}
