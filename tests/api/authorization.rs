//! Authorization by an ACL file (`--acl-file`) over real HTTP, on both backends: each
//! operation allowed and denied, listings filtered, reads by id, contexts and aliases, and
//! the file re-read while requests run.

use crate::common::*;
use reqwest::{Method, StatusCode};
use schemata::api::acl::Acl;
use schemata::api::auth::{Authentication, BasicAuth};
use schemata::registry::RegistryOptions;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Clear-text passwords keep the tests fast; the forms are `auth`'s business.
pub(crate) const USERS: &str = "admin: pw,admin\nalice: pw,dev\nbob: pw\ncarol: pw,platform\n";

pub(crate) const ACL: &str = r#"
[[allow]]
principal = "role:admin"
subjects = ["*"]
operations = ["all"]
global = ["all"]

[[allow]]
principal = "user:alice"
subjects = ["orders-*", ":.staging:orders-*"]
operations = ["read", "write"]

[[allow]]
principal = "user:bob"
subjects = ["orders-value"]
operations = ["read", "delete", "config_read"]

[[allow]]
principal = "role:platform"
global = ["read", "config_read", "config_write"]
"#;

/// A server with basic authentication and an ACL file, on a fresh database.
pub(crate) struct Secured {
    pub base: String,
    pub acl_path: PathBuf,
    pub backend: Backend,
    pub database_url: String,
    /// Holds the ACL file (and the SQLite database); removed when the test ends.
    pub _dir: TempDir,
    client: reqwest::Client,
}

pub(crate) async fn secured(backend: Backend, acl: &str) -> Secured {
    secured_with(backend, Some(acl), |_| {}).await
}

/// `secured`, without an ACL when `acl` is `None`, and with whatever else `configure` sets.
pub(crate) async fn secured_with(
    backend: Backend,
    acl: Option<&str>,
    configure: impl FnOnce(&mut schemata::api::AppState),
) -> Secured {
    let (database_url, sqlite_dir) = fresh_database(backend).await;
    let dir = sqlite_dir.unwrap_or_else(|| {
        let path =
            std::env::temp_dir().join(format!("schemata_acl_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    });
    let acl_path = dir.0.join("acl.toml");
    let mut state =
        schemata::build_state(&database_url, RegistryOptions::default(), &store_options(8))
            .await
            .expect("start registry");
    state.auth = Some(Arc::new(
        Authentication::new("*").with_basic(BasicAuth::parse(USERS).unwrap()),
    ));
    if let Some(acl) = acl {
        std::fs::write(&acl_path, acl).unwrap();
        let acl = Acl::load(&acl_path)
            .unwrap()
            .poll_every(Duration::from_millis(100));
        state.acl = Some(Arc::new(acl));
    }
    configure(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    Secured {
        base,
        acl_path,
        backend,
        database_url,
        _dir: dir,
        client: reqwest::Client::new(),
    }
}

impl Secured {
    /// A request as `user` (password `pw`), or anonymous.
    pub(crate) async fn send(
        &self,
        user: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(user) = user {
            request = request.basic_auth(user, Some("pw"));
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        reply(request.send().await.expect("request")).await
    }

    pub(crate) async fn get(&self, user: &str, path: &str) -> Reply {
        self.send(Some(user), Method::GET, path, None).await
    }

    pub(crate) async fn register(&self, user: &str, subject: &str, schema: &str) -> Reply {
        let body = json!({ "schema": schema });
        let path = format!("/subjects/{subject}/versions");
        self.send(Some(user), Method::POST, &path, Some(body)).await
    }

    pub(crate) async fn cleanup(self) {
        drop_database(self.backend, &self.database_url).await;
    }
}

/// A distinct Avro schema for each name.
pub(crate) fn schema(name: &str) -> String {
    json!({"type": "record", "name": name, "fields": [{"name": "f", "type": "string"}]}).to_string()
}

/// A 403 of the ACL naming the operation and the resource.
fn assert_denied(reply: &Reply, operation: &str, resource: &str) {
    reply.assert_error(403, 40301);
    let message = reply.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(&format!("operation {operation} ")) && message.contains(resource),
        "{message}"
    );
}

macro_rules! secured_on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let app = super::secured($crate::common::Backend::Sqlite, super::ACL).await;
                    super::$scenario(&app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let app = super::secured($crate::common::Backend::Postgres, super::ACL).await;
                    super::$scenario(&app).await;
                    app.cleanup().await;
                }
            )*
        }
    };
}

secured_on_both_backends!(
    each_subject_operation_is_allowed_or_denied,
    global_operations_need_global_grants,
    listings_show_only_readable_subjects,
    reads_by_id_need_a_readable_subject_using_the_id,
    contexts_and_aliases_are_checked_where_they_lead,
    a_guids_ids_are_only_those_of_readable_subjects,
    subject_listings_page_through_the_readable_scopes,
    unauthenticated_requests_get_40101,
    the_file_is_reread_while_requests_run,
);

async fn each_subject_operation_is_allowed_or_denied(app: &Secured) {
    app.register("admin", "payments-value", &schema("P"))
        .await
        .assert_ok();
    // write: register and compatibility checks.
    app.register("alice", "orders-value", &schema("O"))
        .await
        .assert_ok();
    let refused = app.register("alice", "payments-value", &schema("P2")).await;
    assert_denied(&refused, "write", "subject 'payments-value'");
    let check = async |subject: &str| {
        let path = format!("/compatibility/subjects/{subject}/versions/latest");
        let body = json!({"schema": schema("O")});
        app.send(Some("alice"), Method::POST, &path, Some(body))
            .await
    };
    check("orders-value").await.assert_ok();
    assert_denied(&check("payments-value").await, "write", "payments-value");
    // bob may read but not write orders-value.
    let refused = app.register("bob", "orders-value", &schema("O2")).await;
    assert_denied(&refused, "write", "orders-value");

    // read: versions, a version, its schema, lookup, referencedby, metadata.
    for path in [
        "/subjects/orders-value/versions",
        "/subjects/orders-value/versions/1",
        "/subjects/orders-value/versions/latest/schema",
        "/subjects/orders-value/versions/1/referencedby",
        "/subjects/orders-value/metadata",
    ] {
        app.get("bob", path).await.assert_ok();
        let path = path.replace("orders-value", "payments-value");
        assert_denied(&app.get("alice", &path).await, "read", "payments-value");
    }
    let lookup = async |user: &str, subject: &str| {
        let body = json!({"schema": schema("O")});
        let path = format!("/subjects/{subject}");
        app.send(Some(user), Method::POST, &path, Some(body)).await
    };
    assert_eq!(
        lookup("bob", "orders-value").await.assert_ok()["version"],
        1
    );
    assert_denied(
        &lookup("alice", "payments-value").await,
        "read",
        "payments-value",
    );

    // config_read and config_write of a subject.
    let config = "/config/orders-value";
    app.get("bob", config).await.assert_error(404, 40408);
    assert_denied(
        &app.get("alice", config).await,
        "config_read",
        "orders-value",
    );
    let put = app
        .send(
            Some("bob"),
            Method::PUT,
            config,
            Some(json!({"compatibility": "NONE"})),
        )
        .await;
    assert_denied(&put, "config_write", "orders-value");
    let mode = app
        .send(
            Some("bob"),
            Method::PUT,
            "/mode/orders-value",
            Some(json!({"mode": "READONLY"})),
        )
        .await;
    assert_denied(&mode, "config_write", "orders-value");
    app.send(
        Some("admin"),
        Method::PUT,
        config,
        Some(json!({"compatibility": "NONE"})),
    )
    .await
    .assert_ok();
    assert_eq!(
        app.get("bob", config).await.assert_ok()["compatibilityLevel"],
        "NONE"
    );

    // delete: alice may not, bob may.
    let delete =
        |user: &'static str, path: &'static str| app.send(Some(user), Method::DELETE, path, None);
    let refused = delete("alice", "/subjects/orders-value/versions/1").await;
    assert_denied(&refused, "delete", "orders-value");
    assert_denied(
        &delete("alice", "/subjects/orders-value").await,
        "delete",
        "orders-value",
    );
    assert_eq!(
        delete("bob", "/subjects/orders-value/versions/1")
            .await
            .assert_ok(),
        json!(1)
    );
    assert_denied(
        &delete("bob", "/subjects/payments-value").await,
        "delete",
        "payments-value",
    );

    // Nothing refused was written: payments-value still has its one version.
    let versions = app.get("admin", "/subjects/payments-value/versions").await;
    assert_eq!(versions.assert_ok(), json!([1]));
    // Routes that name no resource are open to every authenticated principal.
    app.get("bob", "/schemas/types").await.assert_ok();
    app.get("bob", "/").await.assert_ok();
}

async fn global_operations_need_global_grants(app: &Secured) {
    for path in ["/config", "/mode", "/contexts", "/metrics"] {
        assert_eq!(
            app.get("carol", path).await.status,
            StatusCode::OK,
            "{path}"
        );
        let operation = if path == "/contexts" || path == "/metrics" {
            "read"
        } else {
            "config_read"
        };
        assert_denied(&app.get("alice", path).await, operation, "the registry");
    }
    let put = |user: &'static str, path: &'static str, body: Value| {
        app.send(Some(user), Method::PUT, path, Some(body))
    };
    put("carol", "/config", json!({"compatibility": "FULL"}))
        .await
        .assert_ok();
    let refused = put("alice", "/config", json!({"compatibility": "NONE"})).await;
    assert_denied(&refused, "config_write", "the registry");
    assert_denied(
        &put("bob", "/mode", json!({"mode": "READONLY"})).await,
        "config_write",
        "the registry",
    );
    // A context's own settings are global ones; a subject's are not.
    put(
        "carol",
        "/config/:.staging:",
        json!({"compatibility": "NONE"}),
    )
    .await
    .assert_ok();
    let refused = put(
        "alice",
        "/contexts/.staging/config",
        json!({"compatibility": "NONE"}),
    )
    .await;
    assert_denied(&refused, "config_write", "the registry");
    let refused = put(
        "carol",
        "/config/orders-value",
        json!({"compatibility": "NONE"}),
    )
    .await;
    assert_denied(&refused, "config_write", "orders-value");
    // Deleting a context is the global delete.
    let delete = app
        .send(Some("carol"), Method::DELETE, "/contexts/.staging", None)
        .await;
    assert_denied(&delete, "delete", "the registry");
    let delete = app
        .send(Some("admin"), Method::DELETE, "/contexts/.staging", None)
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("carol", "/config").await.assert_ok()["compatibilityLevel"],
        "FULL"
    );
}

async fn listings_show_only_readable_subjects(app: &Secured) {
    for subject in [
        "orders-a",
        "orders-b",
        "payments-value",
        ":.staging:orders-c",
        ":.other:orders-d",
    ] {
        app.register(
            "admin",
            subject,
            &schema(&subject.replace([':', '.', '-'], "_")),
        )
        .await
        .assert_ok();
    }
    let every = json!([
        ":.other:orders-d",
        ":.staging:orders-c",
        "orders-a",
        "orders-b",
        "payments-value"
    ]);
    assert_eq!(app.get("carol", "/subjects").await.assert_ok(), every);
    assert_eq!(app.get("admin", "/subjects").await.assert_ok(), every);
    let alice = json!([":.staging:orders-c", "orders-a", "orders-b"]);
    assert_eq!(app.get("alice", "/subjects").await.assert_ok(), alice);
    // offset and limit count what the principal is shown.
    let page = app.get("alice", "/subjects?offset=1&limit=1").await;
    assert_eq!(page.assert_ok(), json!(["orders-a"]));
    assert_eq!(app.get("bob", "/subjects").await.assert_ok(), json!([]));
    let staging = app.get("alice", "/contexts/.staging/subjects").await;
    assert_eq!(staging.assert_ok(), json!([":.staging:orders-c"]));

    let listed = |reply: Reply| -> Vec<String> {
        reply
            .assert_ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        listed(app.get("alice", "/schemas").await),
        ["orders-a", "orders-b"]
    );
    assert_eq!(
        listed(app.get("alice", "/schemas?subjectPrefix=:*:").await),
        [":.staging:orders-c", "orders-a", "orders-b"]
    );
    assert_eq!(
        listed(
            app.get("alice", "/schemas?subjectPrefix=:*:&offset=1&limit=1")
                .await
        ),
        ["orders-a"]
    );
    assert_eq!(
        listed(app.get("carol", "/schemas").await),
        ["orders-a", "orders-b", "payments-value"]
    );
    assert!(listed(app.get("bob", "/schemas?subjectPrefix=:*:").await).is_empty());
    // A second version of orders-a: latestOnly keeps one per subject, after the filter.
    let none = json!({"compatibility": "NONE"});
    let put = app
        .send(Some("admin"), Method::PUT, "/config/orders-a", Some(none))
        .await;
    put.assert_ok();
    app.register("admin", "orders-a", &schema("A2"))
        .await
        .assert_ok();
    let latest = app
        .get("alice", "/schemas?subjectPrefix=:*:&latestOnly=true")
        .await;
    let versions: Vec<(String, i64)> = latest
        .assert_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["subject"].as_str().unwrap().into(),
                v["version"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [(":.staging:orders-c", 1), ("orders-a", 2), ("orders-b", 1)];
    let expected: Vec<(String, i64)> = expected.iter().map(|(s, v)| (s.to_string(), *v)).collect();
    assert_eq!(versions, expected);
    let rules = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "type": "CEL", "mode": "WRITE", "expr": "true"}]});
    for subject in ["orders-r", "payments-r"] {
        let body = json!({"schema": schema(&subject.replace('-', "_")), "ruleSet": rules});
        let path = format!("/subjects/{subject}/versions");
        app.send(Some("admin"), Method::POST, &path, Some(body))
            .await
            .assert_ok();
    }
    let with_rules = app
        .get("alice", "/schemas?subjectPrefix=:*:&ruleType=CEL")
        .await;
    assert_eq!(listed(with_rules), ["orders-r"]);
    let every_rule = app.get("carol", "/schemas?ruleType=CEL").await;
    assert_eq!(listed(every_rule), ["orders-r", "payments-r"]);
}

async fn reads_by_id_need_a_readable_subject_using_the_id(app: &Secured) {
    let none = json!({"compatibility": "NONE"});
    let put = app
        .send(Some("admin"), Method::PUT, "/config", Some(none))
        .await;
    put.assert_ok();
    let only_payments = app
        .register("admin", "payments-value", &schema("One"))
        .await
        .assert_ok()["id"]
        .clone();
    let shared = app
        .register("admin", "orders-a", &schema("Two"))
        .await
        .assert_ok()["id"]
        .clone();
    app.register("admin", "payments-value", &schema("Two"))
        .await
        .assert_ok();
    app.register("admin", "orders-b", &schema("Three"))
        .await
        .assert_ok();
    let (one, two) = (only_payments.as_i64().unwrap(), shared.as_i64().unwrap());

    // alice reads no subject using id `one`: every read of it is refused.
    for tail in ["", "/schema", "/subjects", "/versions"] {
        let reply = app.get("alice", &format!("/schemas/ids/{one}{tail}")).await;
        assert_denied(&reply, "read", &format!("schema id {one}"));
        app.get("admin", &format!("/schemas/ids/{one}{tail}"))
            .await
            .assert_ok();
        app.get("carol", &format!("/schemas/ids/{one}{tail}"))
            .await
            .assert_ok();
    }
    // id `two` is used by orders-a, which she may read: answered, listings filtered.
    app.get("alice", &format!("/schemas/ids/{two}"))
        .await
        .assert_ok();
    app.get("alice", &format!("/schemas/ids/{two}/schema"))
        .await
        .assert_ok();
    let subjects = app
        .get("alice", &format!("/schemas/ids/{two}/subjects"))
        .await;
    assert_eq!(subjects.assert_ok(), json!(["orders-a"]));
    let versions = app
        .get("alice", &format!("/schemas/ids/{two}/versions"))
        .await;
    assert_eq!(
        versions.assert_ok(),
        json!([{"subject": "orders-a", "version": 1}])
    );
    let all = app
        .get("admin", &format!("/schemas/ids/{two}/subjects"))
        .await;
    assert_eq!(all.assert_ok(), json!(["orders-a", "payments-value"]));
    // With ?subject=, that subject: readable and using the id.
    app.get("alice", &format!("/schemas/ids/{two}?subject=orders-a"))
        .await
        .assert_ok();
    let named = app
        .get(
            "alice",
            &format!("/schemas/ids/{two}?subject=payments-value"),
        )
        .await;
    assert_denied(&named, "read", "payments-value");
    let unused = app
        .get("alice", &format!("/schemas/ids/{two}?subject=orders-b"))
        .await;
    assert_denied(&unused, "read", "orders-b");
    // An unknown id is answered as without an ACL.
    app.get("alice", "/schemas/ids/999")
        .await
        .assert_error(404, 40403);
    // Guids: the same rule.
    let guid_of = |id: i64| async move {
        app.get("admin", &format!("/schemas/ids/{id}"))
            .await
            .assert_ok()["guid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (guid_one, guid_two) = (guid_of(one).await, guid_of(two).await);
    assert_denied(
        &app.get("alice", &format!("/schemas/guids/{guid_one}"))
            .await,
        "read",
        &guid_one,
    );
    app.get("alice", &format!("/schemas/guids/{guid_two}"))
        .await
        .assert_ok();
    app.get("alice", &format!("/schemas/guids/{guid_two}/ids"))
        .await
        .assert_ok();
    // A soft-deleted version still counts: old messages must stay readable.
    app.send(Some("admin"), Method::DELETE, "/subjects/orders-a", None)
        .await
        .assert_ok();
    app.get("alice", &format!("/schemas/ids/{two}"))
        .await
        .assert_ok();
}

async fn contexts_and_aliases_are_checked_where_they_lead(app: &Secured) {
    app.register("admin", ":.staging:orders-c", &schema("C"))
        .await
        .assert_ok();
    app.register("admin", ":.other:orders-d", &schema("D"))
        .await
        .assert_ok();
    // A context URL is its qualified subject.
    app.get("alice", "/contexts/.staging/subjects/orders-c/versions")
        .await
        .assert_ok();
    let other = app
        .get("alice", "/contexts/.other/subjects/orders-d/versions")
        .await;
    assert_denied(&other, "read", "':.other:orders-d'");
    let written = app
        .send(
            Some("alice"),
            Method::POST,
            "/contexts/.staging/subjects/orders-e/versions",
            Some(json!({"schema": schema("E")})),
        )
        .await;
    written.assert_ok();
    assert_denied(
        &app.register("alice", ":.other:orders-e", &schema("E"))
            .await,
        "write",
        ":.other:orders-e",
    );
    // A bare name read from another context (docs/rest-api.md §2.4) is checked there.
    let found = app
        .get("alice", "/subjects/orders-c/versions/1")
        .await
        .assert_ok();
    assert_eq!(found["subject"], ":.staging:orders-c");
    let elsewhere = app.get("alice", "/subjects/orders-d/versions/1").await;
    assert_denied(&elsewhere, "read", "':.other:orders-d'");
    // An alias is checked as its target too.
    app.register("admin", "payments-value", &schema("P"))
        .await
        .assert_ok();
    let alias = app
        .send(
            Some("admin"),
            Method::PUT,
            "/config/orders-alias",
            Some(json!({"alias": "payments-value"})),
        )
        .await;
    alias.assert_ok();
    let through = app.get("alice", "/subjects/orders-alias/versions").await;
    assert_denied(&through, "read", "'payments-value'");
    app.get("admin", "/subjects/orders-alias/versions")
        .await
        .assert_ok();
}

/// `GET /subjects` under an ACL is read from the database only where the principal's grants
/// point (docs/rest-api.md §11): a literal grant is asked as a prefix and kept exact, scopes
/// of several contexts are merged, and `offset`/`limit`, `subjectPrefix` and `deleted` apply
/// to what is readable.
async fn subject_listings_page_through_the_readable_scopes(app: &Secured) {
    for subject in [
        "orders-value",
        "orders-value-2",
        "orders-valuex",
        "orders-b",
        "payments-value",
        ":.staging:orders-c",
        ":.staging:other",
        ":.other:orders-d",
    ] {
        app.register(
            "admin",
            subject,
            &schema(&subject.replace([':', '.', '-'], "_")),
        )
        .await
        .assert_ok();
    }
    let names =
        |reply: Reply| -> Vec<String> { serde_json::from_value(reply.assert_ok()).unwrap() };
    // bob's grant is the literal orders-value: not the names that extend it.
    assert_eq!(names(app.get("bob", "/subjects").await), ["orders-value"]);
    assert_eq!(
        names(app.get("bob", "/subjects?subjectPrefix=orders-v").await),
        ["orders-value"]
    );
    assert!(names(
        app.get("bob", "/subjects?subjectPrefix=orders-value-")
            .await
    )
    .is_empty());
    assert!(names(app.get("bob", "/subjects?subjectPrefix=:.staging:").await).is_empty());
    // alice: orders-* here and in .staging, one page at a time across both contexts.
    let alice = [
        ":.staging:orders-c",
        "orders-b",
        "orders-value",
        "orders-value-2",
        "orders-valuex",
    ];
    assert_eq!(names(app.get("alice", "/subjects").await), alice);
    let mut paged = Vec::new();
    for offset in 0..6 {
        let path = format!("/subjects?offset={offset}&limit=1");
        paged.extend(names(app.get("alice", &path).await));
    }
    assert_eq!(paged, alice);
    assert_eq!(
        names(app.get("alice", "/subjects?offset=1&limit=2").await),
        ["orders-b", "orders-value"]
    );
    assert_eq!(
        names(app.get("alice", "/subjects?subjectPrefix=:.st").await),
        [":.staging:orders-c"]
    );
    assert_eq!(
        names(
            app.get("alice", "/subjects?subjectPrefix=orders-value-")
                .await
        ),
        ["orders-value-2"]
    );
    // Soft-deleted subjects only with ?deleted=true, as without an ACL.
    app.send(Some("admin"), Method::DELETE, "/subjects/orders-b", None)
        .await
        .assert_ok();
    assert_eq!(
        names(app.get("alice", "/subjects").await),
        alice[..1]
            .iter()
            .chain(&alice[2..])
            .copied()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        names(app.get("alice", "/subjects?deleted=true").await),
        alice
    );
    assert_eq!(
        names(app.get("alice", "/subjects?deletedOnly=true").await),
        ["orders-b"]
    );
}

/// `GET /schemas/guids/{guid}/ids` lists an id (one per context) only when some subject the
/// principal may read uses it; none readable is 403, as for the guid itself.
async fn a_guids_ids_are_only_those_of_readable_subjects(app: &Secured) {
    // One schema in three contexts: the same guid, an id in each.
    let shared = schema("Shared");
    let mut ids = Vec::new();
    for subject in ["orders-s", ":.staging:orders-s", ":.other:secret-s"] {
        let id = app.register("admin", subject, &shared).await.assert_ok()["id"].clone();
        ids.push(id.as_i64().unwrap());
    }
    let guid = app
        .get("admin", &format!("/schemas/ids/{}", ids[0]))
        .await
        .assert_ok()["guid"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/schemas/guids/{guid}/ids");
    let listed = |reply: Reply| -> Vec<(String, i64)> {
        let mut pairs: Vec<(String, i64)> = reply
            .assert_ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["context"].as_str().unwrap().to_string(),
                    p["id"].as_i64().unwrap(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    };
    let every = listed(app.get("admin", &path).await);
    assert_eq!(
        every,
        [
            (".".to_string(), ids[0]),
            (".other".to_string(), ids[2]),
            (".staging".to_string(), ids[1]),
        ]
    );
    // Global read (carol) sees all; alice reads orders-* here and in .staging, not .other.
    assert_eq!(listed(app.get("carol", &path).await), every);
    assert_eq!(
        listed(app.get("alice", &path).await),
        [(".".to_string(), ids[0]), (".staging".to_string(), ids[1])]
    );
    // bob reads only orders-value, which does not use the schema.
    assert_denied(&app.get("bob", &path).await, "read", &guid);
    // Once alice's own subjects stop using it (a permanent delete), she sees nothing.
    for subject in ["orders-s", ":.staging:orders-s"] {
        for permanent in ["false", "true"] {
            let delete = format!("/subjects/{subject}?permanent={permanent}");
            app.send(Some("admin"), Method::DELETE, &delete, None)
                .await
                .assert_ok();
        }
    }
    assert_denied(&app.get("alice", &path).await, "read", &guid);
    assert_eq!(
        listed(app.get("admin", &path).await),
        [(".other".to_string(), ids[2])]
    );
}

async fn unauthenticated_requests_get_40101(app: &Secured) {
    let anonymous = app.send(None, Method::GET, "/subjects", None).await;
    anonymous.assert_error(401, 40101);
    let wrong = app
        .client
        .get(format!("{}/subjects", app.base))
        .basic_auth("alice", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error_code"], 40101);
    // Probes need neither credentials nor a grant.
    assert_eq!(
        app.send(None, Method::GET, "/health", None).await.status,
        StatusCode::OK
    );
}

/// Poll `check` until it holds, for at most 10 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(10), "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_file_is_reread_while_requests_run(app: &Secured) {
    app.register("admin", "orders-value", &schema("O"))
        .await
        .assert_ok();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Requests keep running while the file changes: each is answered 200 or 403, never
    // anything else.
    let load = {
        let (base, stop) = (app.base.clone(), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = std::collections::BTreeMap::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status = client
                    .get(format!("{base}/subjects/orders-value/versions"))
                    .basic_auth("bob", Some("pw"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                *statuses.entry(status).or_insert(0) += 1;
            }
            statuses
        })
    };
    let bob_reads = async || {
        app.get("bob", "/subjects/orders-value/versions")
            .await
            .status
            == StatusCode::OK
    };
    assert!(bob_reads().await);
    let without_bob = ACL.replace("principal = \"user:bob\"", "principal = \"user:nobody\"");
    std::fs::write(&app.acl_path, &without_bob).unwrap();
    eventually("bob refused after the change", async || !bob_reads().await).await;
    // A file that does not parse keeps the rules in force.
    std::fs::write(&app.acl_path, "[[allow]\nprincipal = ").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!bob_reads().await, "bob still refused");
    app.get("alice", "/subjects").await.assert_ok();
    std::fs::write(&app.acl_path, ACL).unwrap();
    eventually("bob let in again", bob_reads).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = load.await.unwrap();
    assert!(
        statuses.keys().all(|s| *s == 200 || *s == 403),
        "{statuses:?}"
    );
    assert!(statuses.contains_key(&200), "{statuses:?}");
}

/// With an ACL but no authentication, the server does not start.
#[tokio::test]
async fn an_acl_without_authentication_is_refused() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let dir = dir.unwrap();
    let path = dir.0.join("acl.toml");
    std::fs::write(&path, ACL).unwrap();
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(2))
        .await
        .unwrap();
    state.acl = Some(Arc::new(Acl::load(&path).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = schemata::api::serve(listener, state).await.unwrap_err();
    assert!(
        error.to_string().contains("needs authentication"),
        "{error}"
    );
}
