//! Registering, looking up and reading schemas.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    register_is_idempotent_and_ids_are_shared_across_subjects,
    versions_latest_and_raw_schema,
    lookup_finds_the_version_and_distinguishes_missing_subject_from_missing_schema,
    canonical_form_identifies_textual_variants,
    normalize_makes_key_order_irrelevant,
    schema_by_id_and_its_listings,
    subject_listing_filters_and_pages,
    subjects_are_listed_in_byte_order,
    metadata_and_rule_set_are_stored_and_returned,
    null_contract_members_are_absent,
    contract_fields_with_the_wrong_type_are_refused,
    schemas_listing_and_guids,
    schemas_listing_pages,
    schema_types_and_server_metadata,
    import_mode_accepts_explicit_ids,
    requests_without_a_contract_inherit_the_latest_one,
    normalize_is_the_parameter_or_the_config,
);

async fn register_is_idempotent_and_ids_are_shared_across_subjects(app: &TestApp) {
    let schema = record("User", &[field("name", "string")]);
    let id = app.register("users-value", &schema).await;
    assert_eq!(id, 1);
    assert_eq!(
        app.register("users-value", &schema).await,
        id,
        "same subject, same id"
    );
    let again = app
        .register_body("users-value", json!({ "schema": schema.to_string() }))
        .await
        .assert_ok();
    assert_eq!(again["version"], 1, "no new version for the same schema");
    assert_eq!(
        app.register("audit-value", &schema).await,
        id,
        "same schema, same id in another subject"
    );
    let other = app
        .register(
            "audit-value",
            &record(
                "User",
                &[
                    field("name", "string"),
                    field_with_default("x", "int", json!(1)),
                ],
            ),
        )
        .await;
    assert_ne!(other, id);
    let versions = app.get("/subjects/audit-value/versions").await.assert_ok();
    assert_eq!(versions, json!([1, 2]));
}

async fn versions_latest_and_raw_schema(app: &TestApp) {
    let v1 = record("R", &[field("a", "int")]);
    let v2 = record(
        "R",
        &[
            field("a", "int"),
            field_with_default("b", "string", json!("x")),
        ],
    );
    app.register("s", &v1).await;
    app.register("s", &v2).await;
    let latest = app.get("/subjects/s/versions/latest").await.assert_ok();
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["subject"], "s");
    assert!(
        latest.get("schemaType").is_none(),
        "AVRO is omitted, as CSR 7 does"
    );
    assert!(
        latest.get("references").is_none(),
        "empty lists are omitted"
    );
    let minus_one = app.get("/subjects/s/versions/-1").await.assert_ok();
    assert_eq!(minus_one["version"], 2);
    let first = app.get("/subjects/s/versions/1").await.assert_ok();
    assert_eq!(first["id"], 1);
    let raw = app.get("/subjects/s/versions/1/schema").await;
    assert_eq!(raw.status, 200);
    let raw_value: serde_json::Value = serde_json::from_str(&raw.text).unwrap();
    assert_eq!(raw_value, v1);
    app.get("/subjects/s/versions/3")
        .await
        .assert_error(404, 40402);
    app.get("/subjects/missing/versions/1")
        .await
        .assert_error(404, 40401);
    app.get("/subjects/missing/versions")
        .await
        .assert_error(404, 40401);
}

async fn lookup_finds_the_version_and_distinguishes_missing_subject_from_missing_schema(
    app: &TestApp,
) {
    let schema = record("L", &[field("a", "int")]);
    app.register("lookup", &schema).await;
    let found = app
        .post("/subjects/lookup", json!({ "schema": schema.to_string() }))
        .await
        .assert_ok();
    assert_eq!(
        (found["version"].as_i64(), found["id"].as_i64()),
        (Some(1), Some(1))
    );
    let other = record("L2", &[field("b", "int")]);
    app.post("/subjects/lookup", json!({ "schema": other.to_string() }))
        .await
        .assert_error(404, 40403);
    app.post("/subjects/nobody", json!({ "schema": schema.to_string() }))
        .await
        .assert_error(404, 40401);
    app.post("/subjects/lookup", json!({ "schema": "{not avro" }))
        .await
        .assert_error(422, 42201);
}

async fn canonical_form_identifies_textual_variants(app: &TestApp) {
    let a = app
        .register_body("c", json!({ "schema": "{   \"type\":   \"string\"}" }))
        .await
        .assert_ok();
    let b = app
        .register_body("c", json!({ "schema": "\"string\"" }))
        .await
        .assert_ok();
    assert_eq!(a["id"], b["id"]);
    let stored = app.get("/subjects/c/versions/1").await.assert_ok();
    assert_eq!(stored["schema"], "\"string\"");
    // Attribute order in the input does not matter for Avro.
    let x = r#"{"fields":[{"type":"int","name":"a"}],"name":"K","type":"record"}"#;
    let y = r#"{"type":"record","name":"K","fields":[{"name":"a","type":"int"}]}"#;
    let ix = app
        .register_body("k", json!({ "schema": x }))
        .await
        .assert_ok();
    let iy = app
        .register_body("k2", json!({ "schema": y }))
        .await
        .assert_ok();
    assert_eq!(ix["id"], iy["id"]);
}

async fn normalize_makes_key_order_irrelevant(app: &TestApp) {
    let plain = r#"{"type":"record","name":"N","namespace":"ns","fields":[{"name":"a","type":"int","doc":"d"}]}"#;
    let id = app
        .post(
            "/subjects/n/versions?normalize=true",
            json!({ "schema": plain }),
        )
        .await
        .assert_ok()["id"]
        .clone();
    let found = app
        .post("/subjects/n?normalize=true", json!({ "schema": plain }))
        .await
        .assert_ok();
    assert_eq!(found["id"], id);
    // The config's normalize flag applies when the query does not say.
    app.put("/config/n2", json!({ "normalize": true }))
        .await
        .assert_ok();
    let via_config = app
        .post("/subjects/n2/versions", json!({ "schema": plain }))
        .await
        .assert_ok();
    assert_eq!(
        via_config["id"], id,
        "normalized by config gives the normalized identity"
    );
}

async fn schema_by_id_and_its_listings(app: &TestApp) {
    let schema = record("I", &[field("a", "int")]);
    let id = app.register("one", &schema).await;
    app.register("two", &schema).await;
    let body = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body["schema"].as_str().unwrap()).unwrap(),
        schema
    );
    // A wrong unqualified ?subject= does not cause a 404 (serializers send the topic subject).
    app.get(&format!("/schemas/ids/{id}?subject=unrelated-value"))
        .await
        .assert_ok();
    let with_max = app
        .get(&format!("/schemas/ids/{id}?fetchMaxId=true"))
        .await
        .assert_ok();
    assert_eq!(with_max["maxId"], 1);
    let raw = app.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&raw.text).unwrap(),
        schema
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/subjects"))
            .await
            .assert_ok(),
        json!(["one", "two"])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/versions"))
            .await
            .assert_ok(),
        json!([{"subject": "one", "version": 1}, {"subject": "two", "version": 1}])
    );
    app.get("/schemas/ids/999").await.assert_error(404, 40403);
    app.get("/schemas/ids/999/schema")
        .await
        .assert_error(404, 40403);
    app.get("/schemas/ids/999/subjects")
        .await
        .assert_error(404, 40403);
    app.get("/schemas/ids/abc").await.assert_error(404, 404);
}

async fn subject_listing_filters_and_pages(app: &TestApp) {
    for s in ["b-value", "a-value", "c-key"] {
        app.register(s, &record("S", &[field("a", "int")])).await;
    }
    app.delete("/subjects/c-key").await.assert_ok();
    assert_eq!(
        app.get("/subjects").await.assert_ok(),
        json!(["a-value", "b-value"])
    );
    assert_eq!(
        app.get("/subjects?deleted=true").await.assert_ok(),
        json!(["a-value", "b-value", "c-key"])
    );
    assert_eq!(
        app.get("/subjects?deletedOnly=true").await.assert_ok(),
        json!(["c-key"])
    );
    assert_eq!(
        app.get("/subjects?deleted_only=True").await.assert_ok(),
        json!(["c-key"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=b").await.assert_ok(),
        json!(["b-value"])
    );
    assert_eq!(
        app.get("/subjects?offset=1&limit=1").await.assert_ok(),
        json!(["b-value"])
    );
    assert_eq!(
        app.get("/subjects?offset=0&limit=-1&deleted=False")
            .await
            .assert_ok(),
        json!(["a-value", "b-value"])
    );
    app.get("/subjects?limit=abc").await.assert_error(404, 404);
}

/// Byte order, as CSR (UTF-16 code units) and whatever the database's locale: upper case
/// before `_` before lower case before non-ASCII, no case folding, no ignored punctuation.
async fn subjects_are_listed_in_byte_order(app: &TestApp) {
    for s in ["b", "a-z", "_x", "B", "é", "az", "a_z"] {
        app.register(s, &record("S", &[field("a", "int")])).await;
    }
    assert_eq!(
        app.get("/subjects").await.assert_ok(),
        json!(["B", "_x", "a-z", "a_z", "az", "b", "é"])
    );
}

async fn metadata_and_rule_set_are_stored_and_returned(app: &TestApp) {
    let schema = record("M", &[field("a", "int")]);
    let metadata = json!({ "properties": { "owner": "team-a", "tier": "1" } });
    let rule_set = json!({ "domainRules": [{ "name": "check", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true" }] });
    let body = json!({ "schema": schema.to_string(), "metadata": metadata, "ruleSet": rule_set });
    let id = app.register_body("meta", body.clone()).await.assert_ok()["id"].clone();
    let version = app.get("/subjects/meta/versions/latest").await.assert_ok();
    assert_eq!(version["metadata"], metadata);
    assert_eq!(version["ruleSet"], rule_set);
    let by_id = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert_eq!(by_id["metadata"], metadata);
    // Same text with other metadata is a different schema (metadata is part of identity).
    let other = json!({ "schema": schema.to_string(), "metadata": { "properties": { "owner": "team-b" } } });
    let other_id = app.register_body("meta", other).await.assert_ok()["id"].clone();
    assert_ne!(other_id, id);
    let found = app
        .get("/subjects/meta/metadata?key=owner&value=team-a")
        .await
        .assert_ok();
    assert_eq!(found["id"], id);
    app.get("/subjects/meta/metadata?key=owner&value=nobody")
        .await
        .assert_error(404, 40403);
    app.get("/subjects/none/metadata?key=owner&value=x")
        .await
        .assert_error(404, 40401);
    let bad_rules = json!({ "schema": schema.to_string(), "ruleSet": { "domainRules": [{ "name": "r", "kind": "CONDITION", "mode": "UPGRADE" }] } });
    app.register_body("meta", bad_rules)
        .await
        .assert_error(422, 42210);
}

/// A `null` member of `metadata` or `ruleSet` is stored and answered as absent, never echoed
/// back as `null` (the document types each as an object or a list), and is not part of the
/// schema's identity.
async fn null_contract_members_are_absent(app: &TestApp) {
    let schema = record("N", &[field("a", "int")]);
    let rule = json!({ "name": "check", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true", "params": null });
    let body = json!({
        "schema": schema.to_string(),
        "metadata": { "properties": { "owner": "a" }, "tags": null, "sensitive": null },
        "ruleSet": { "migrationRules": null, "domainRules": [rule], "encodingRules": null },
    });
    let id = app.register_body("nulls", body.clone()).await.assert_ok()["id"].clone();
    let clean_rule = json!({ "name": "check", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true" });
    let version = app.get("/subjects/nulls/versions/latest").await.assert_ok();
    assert_eq!(
        version["metadata"],
        json!({ "properties": { "owner": "a" } })
    );
    assert_eq!(version["ruleSet"], json!({ "domainRules": [clean_rule] }));
    let by_id = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert_eq!(by_id["ruleSet"], json!({ "domainRules": [clean_rule] }));
    // The same contract without the nulls is the same schema.
    let without = json!({
        "schema": schema.to_string(),
        "metadata": { "properties": { "owner": "a" } },
        "ruleSet": { "domainRules": [clean_rule] },
    });
    let again = app
        .register_body("nulls", without.clone())
        .await
        .assert_ok();
    assert_eq!(
        (again["id"].clone(), again["version"].clone()),
        (id.clone(), json!(1))
    );
    let found = app.post("/subjects/nulls", body).await.assert_ok();
    assert_eq!(found["version"], 1);
}

/// `metadata` and the rules of a `ruleSet` have the field types the document gives them; a
/// wrongly typed one is refused rather than stored and echoed back (metadata 400, rules 42210).
async fn contract_fields_with_the_wrong_type_are_refused(app: &TestApp) {
    let schema = record("T", &[field("a", "int")]).to_string();
    for metadata in [
        json!("owner"),
        json!({ "properties": { "owner": 1 } }),
        json!({ "tags": { "f": "PII" } }),
        json!({ "sensitive": [null] }),
    ] {
        app.register_body("typed", json!({ "schema": schema, "metadata": metadata }))
            .await
            .assert_error(400, 400);
        app.put("/config/typed", json!({ "defaultMetadata": metadata }))
            .await
            .assert_error(400, 400);
    }
    let rule = |extra: serde_json::Value| {
        let mut rule = json!({ "name": "r", "kind": "CONDITION", "mode": "WRITE" });
        rule.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "domainRules": [rule] })
    };
    for rule_set in [
        rule(json!({ "disabled": {} })),
        rule(json!({ "params": { "k": 1 } })),
        rule(json!({ "tags": "PII" })),
        rule(json!({ "expr": 5 })),
        json!({ "domainRules": ["r"] }),
    ] {
        app.register_body("typed", json!({ "schema": schema, "ruleSet": rule_set }))
            .await
            .assert_error(422, 42210);
        app.put("/config/typed", json!({ "overrideRuleSet": rule_set }))
            .await
            .assert_error(422, 42210);
    }
    app.get("/subjects/typed/versions")
        .await
        .assert_error(404, 40401);
    app.get("/config/typed").await.assert_error(404, 40408);
}

/// Versions 1 and 2 of subject `g` (record `G`, the second adding a field with a default).
async fn register_two_versions_of_g(app: &TestApp) -> (serde_json::Value, serde_json::Value) {
    let s1 = record("G", &[field("a", "int")]);
    let s2 = record(
        "G",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    app.register("g", &s1).await;
    app.register("g", &s2).await;
    (s1, s2)
}

/// `GET /schemas` pages are cut in order (subject, then version), and `latestOnly` keeps the
/// highest of the versions shown (so `deleted` changes which one that is).
async fn schemas_listing_pages(app: &TestApp) {
    let (s1, _) = register_two_versions_of_g(app).await;
    app.register("a-first", &s1).await;
    app.register("h-last", &s1).await;
    let page = |query: &str| {
        let query = query.to_string();
        async move {
            let listed = app.get(&format!("/schemas?{query}")).await.assert_ok();
            listed
                .as_array()
                .unwrap()
                .iter()
                .map(|v| format!("{}/{}", v["subject"].as_str().unwrap(), v["version"]))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page("offset=1&limit=2").await, ["g/1", "g/2"]);
    assert_eq!(page("limit=1").await, ["a-first/1"]);
    assert_eq!(page("offset=3").await, ["h-last/1"]);
    assert_eq!(page("offset=9").await, Vec::<String>::new());
    assert_eq!(page("subjectPrefix=g&latestOnly=true").await, ["g/2"]);
    app.delete("/subjects/g/versions/2").await.assert_ok();
    assert_eq!(page("subjectPrefix=g&latestOnly=true").await, ["g/1"]);
    assert_eq!(
        page("subjectPrefix=g&latestOnly=true&deleted=true").await,
        ["g/2"]
    );
    assert_eq!(page("subjectPrefix=g&deleted=true").await, ["g/1", "g/2"]);
    assert_eq!(page("latestOnly=true&limit=2").await, ["a-first/1", "g/1"]);
}

async fn schemas_listing_and_guids(app: &TestApp) {
    register_two_versions_of_g(app).await;
    let all = app.get("/schemas").await.assert_ok();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let latest = app.get("/schemas?latestOnly=true").await.assert_ok();
    assert_eq!(latest.as_array().unwrap().len(), 1);
    assert_eq!(latest[0]["version"], 2);
    let guid = all[0]["guid"].as_str().unwrap().to_string();
    let by_guid = app.get(&format!("/schemas/guids/{guid}")).await.assert_ok();
    assert_eq!(by_guid["schema"], all[0]["schema"]);
    assert_eq!(
        app.get(&format!("/schemas/guids/{guid}/ids"))
            .await
            .assert_ok(),
        json!([{"context": ".", "id": 1}])
    );
    // `ruleType` keeps versions with a rule of that type; `latestOnly` then the highest.
    let rules = |kind: &str| json!({ "domainRules": [{ "name": "r", "kind": "CONDITION", "mode": "WRITE", "type": kind, "expr": "true" }] });
    let s3 = record(
        "G",
        &[
            field("a", "int"),
            field_with_default("b", "int", json!(0)),
            field_with_default("c", "int", json!(0)),
        ],
    );
    let s4 = record(
        "G",
        &[
            field("a", "int"),
            field_with_default("b", "int", json!(0)),
            field_with_default("d", "int", json!(0)),
        ],
    );
    app.register_body(
        "g",
        json!({ "schema": s3.to_string(), "ruleSet": rules("CEL") }),
    )
    .await
    .assert_ok();
    app.register_body(
        "g",
        json!({ "schema": s4.to_string(), "ruleSet": rules("JSONATA") }),
    )
    .await
    .assert_ok();
    let versions = |listed: serde_json::Value| -> Vec<i64> {
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        versions(app.get("/schemas?ruleType=CEL").await.assert_ok()),
        [3]
    );
    assert_eq!(
        versions(
            app.get("/schemas?ruleType=CEL&latestOnly=true")
                .await
                .assert_ok()
        ),
        [3]
    );
    assert_eq!(
        versions(app.get("/schemas?latestOnly=true").await.assert_ok()),
        [4]
    );
    assert!(versions(app.get("/schemas?ruleType=NOPE").await.assert_ok()).is_empty());
    app.get("/schemas/guids/00000000-0000-0000-0000-000000000000")
        .await
        .assert_error(404, 40403);
}

async fn schema_types_and_server_metadata(app: &TestApp) {
    let types = app.get("/schemas/types").await.assert_ok();
    for t in ["AVRO", "JSON", "PROTOBUF"] {
        assert!(types.as_array().unwrap().contains(&json!(t)));
    }
    assert_eq!(app.get("/").await.assert_ok(), json!({}));
    assert_eq!(
        app.post("/", json!({"anything": 1})).await.assert_ok(),
        json!({})
    );
    assert!(app.get("/v1/metadata/id").await.assert_ok()["scope"]["clusters"].is_object());
    assert!(app.get("/v1/metadata/version").await.assert_ok()["version"].is_string());
    assert_eq!(app.get("/health").await.assert_ok()["status"], "UP");
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains("schemata_http_requests_total"),
        "{}",
        metrics.text
    );
    // Associations (CSR 8.1+) are not offered: clients fall back on 404.
    app.get("/associations/resources/-/topic?resourceType=topic&associationType=value")
        .await
        .assert_error(404, 404);
}

async fn import_mode_accepts_explicit_ids(app: &TestApp) {
    let schema = record("Imp", &[field("a", "int")]);
    let with_id = json!({ "schema": schema.to_string(), "id": 100, "version": 7 });
    app.register_body("imp", with_id.clone())
        .await
        .assert_error(422, 42205);
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_ok();
    assert_eq!(app.get("/mode").await.assert_ok()["mode"], "IMPORT");
    let r = app.register_body("imp", with_id).await.assert_ok();
    assert_eq!(
        (r["id"].as_i64(), r["version"].as_i64()),
        (Some(100), Some(7))
    );
    // Without an id, IMPORT refuses.
    app.register_body(
        "imp",
        json!({ "schema": record("Other", &[field("b", "int")]).to_string() }),
    )
    .await
    .assert_error(422, 42205);
    // Another schema may not take an id in use.
    let clash = json!({ "schema": record("Clash", &[field("c", "int")]).to_string(), "id": 100, "version": 8 });
    app.register_body("imp", clash)
        .await
        .assert_error(422, 42205);
    app.put("/mode", json!({ "mode": "READWRITE" }))
        .await
        .assert_ok();
    // Ids allocated afterwards never collide with imported ones.
    let next = app
        .register("after-import", &record("After", &[field("z", "int")]))
        .await;
    assert!(next > 100, "allocated {next}");
    assert_eq!(
        app.get("/schemas/ids/100").await.assert_ok()["schema"],
        schema.to_string()
    );
}

/// `docs/rest-api.md` §3.4: a request without metadata or rules carries the latest live version's, so an
/// auto-registering serializer neither duplicates versions nor strips a data contract.
async fn requests_without_a_contract_inherit_the_latest_one(app: &TestApp) {
    let metadata = json!({ "properties": { "owner": "team-a" } });
    let rule_set = json!({ "domainRules": [{ "name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true" }] });
    let v1 = record("C", &[field("a", "int")]);
    let first = app
        .register_body(
            "contract",
            json!({ "schema": v1.to_string(), "metadata": metadata, "ruleSet": rule_set }),
        )
        .await
        .assert_ok();
    // The same schema without a contract: found (lookup) and not registered again.
    let plain = json!({ "schema": v1.to_string() });
    let found = app
        .post("/subjects/contract", plain.clone())
        .await
        .assert_ok();
    assert_eq!(
        (found["id"].clone(), found["version"].clone()),
        (first["id"].clone(), json!(1))
    );
    let again = app.register_body("contract", plain).await.assert_ok();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        app.get("/subjects/contract/versions").await.assert_ok(),
        json!([1])
    );
    // A new schema without a contract keeps the subject's.
    let v2 = record(
        "C",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    app.register("contract", &v2).await;
    let latest = app
        .get("/subjects/contract/versions/latest")
        .await
        .assert_ok();
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["metadata"], metadata);
    assert_eq!(latest["ruleSet"], rule_set);
    // Its own metadata wins over the latest's; the rules are still inherited.
    let own = json!({ "properties": { "owner": "team-b" } });
    let v3 = record(
        "C",
        &[
            field("a", "int"),
            field_with_default("b", "int", json!(0)),
            field_with_default("c", "int", json!(0)),
        ],
    );
    app.register_body(
        "contract",
        json!({ "schema": v3.to_string(), "metadata": own }),
    )
    .await
    .assert_ok();
    let latest = app
        .get("/subjects/contract/versions/latest")
        .await
        .assert_ok();
    assert_eq!(
        (latest["version"].clone(), latest["metadata"].clone()),
        (json!(3), own)
    );
    assert_eq!(latest["ruleSet"], rule_set);
    // The config's override is merged over the request's metadata, key by key.
    let forced = json!({ "properties": { "owner": "platform" } });
    app.put("/config/contract", json!({ "overrideMetadata": forced }))
        .await
        .assert_ok();
    let v4 = record(
        "C",
        &[field("a", "int"), field_with_default("d", "int", json!(0))],
    );
    app.register_body(
        "contract",
        json!({ "schema": v4.to_string(), "metadata": { "properties": { "owner": "x", "team": "t" } } }),
    )
    .await
    .assert_ok();
    let latest = app
        .get("/subjects/contract/versions/latest")
        .await
        .assert_ok();
    assert_eq!(latest["version"], 4);
    assert_eq!(
        latest["metadata"],
        json!({ "properties": { "owner": "platform", "team": "t" } })
    );
}

/// `docs/rest-api.md` §3.2: normalization applies when the parameter OR the config asks for it; the explicit
/// `normalize=false` the Java client always sends does not turn the config off.
async fn normalize_is_the_parameter_or_the_config(app: &TestApp) {
    app.put("/config/norm", json!({ "normalize": true }))
        .await
        .assert_ok();
    let body = |schema: &str| json!({ "schemaType": "JSON", "schema": schema });
    let first = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let reordered = r#"{"properties":{"a":{"type":"string"}},"type":"object"}"#;
    let registered = app.register_body("norm", body(first)).await.assert_ok();
    for path in ["/subjects/norm", "/subjects/norm?normalize=false"] {
        let found = app.post(path, body(reordered)).await.assert_ok();
        assert_eq!(
            (found["id"].clone(), found["version"].clone()),
            (registered["id"].clone(), json!(1)),
            "{path}"
        );
    }
    let again = app
        .post("/subjects/norm/versions?normalize=false", body(reordered))
        .await
        .assert_ok();
    assert_eq!(again["id"], registered["id"]);
    assert_eq!(
        app.get("/subjects/norm/versions").await.assert_ok(),
        json!([1])
    );
    // Without the config, key order is part of a JSON schema's identity.
    app.register_body("plain-json", body(first))
        .await
        .assert_ok();
    app.post("/subjects/plain-json", body(reordered))
        .await
        .assert_error(404, 40403);
}
