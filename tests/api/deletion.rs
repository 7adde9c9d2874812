//! Soft and permanent deletes, version numbering around them.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    soft_delete_then_permanent_delete_of_a_subject,
    version_delete_rules_and_codes,
    versions_are_not_reused_after_soft_delete,
    hard_deleted_ids_answer_404,
);

fn v(n: i64) -> serde_json::Value {
    record(
        "D",
        &(0..n)
            .map(|i| field_with_default(&format!("f{i}"), "int", json!(0)))
            .collect::<Vec<_>>(),
    )
}

async fn soft_delete_then_permanent_delete_of_a_subject(app: &TestApp) {
    app.register("d", &v(1)).await;
    app.register("d", &v(2)).await;
    app.delete("/subjects/d?permanent=true")
        .await
        .assert_error(404, 40405);
    assert_eq!(app.delete("/subjects/d").await.assert_ok(), json!([1, 2]));
    app.delete("/subjects/d").await.assert_error(404, 40404);
    app.get("/subjects/d/versions")
        .await
        .assert_error(404, 40401);
    assert_eq!(
        app.get("/subjects/d/versions?deleted=true")
            .await
            .assert_ok(),
        json!([1, 2])
    );
    let soft = app
        .get("/subjects/d/versions/1?deleted=true")
        .await
        .assert_ok();
    assert_eq!(soft["deleted"], true);
    // Ids of soft-deleted versions stay readable: old messages must still decode.
    app.get("/schemas/ids/1").await.assert_ok();
    assert_eq!(
        app.delete("/subjects/d?permanent=true").await.assert_ok(),
        json!([1, 2])
    );
    app.delete("/subjects/d").await.assert_error(404, 40401);
    assert_eq!(
        app.get("/subjects?deleted=true").await.assert_ok(),
        json!([])
    );
}

async fn version_delete_rules_and_codes(app: &TestApp) {
    app.register("vd", &v(1)).await;
    app.register("vd", &v(2)).await;
    app.delete("/subjects/vd/versions/abc")
        .await
        .assert_error(422, 42202);
    app.delete("/subjects/vd/versions/9")
        .await
        .assert_error(404, 40402);
    app.delete("/subjects/none/versions/1")
        .await
        .assert_error(404, 40401);
    app.delete("/subjects/vd/versions/2?permanent=true")
        .await
        .assert_error(404, 40407);
    assert_eq!(
        app.delete("/subjects/vd/versions/latest").await.assert_ok(),
        json!(2)
    );
    app.delete("/subjects/vd/versions/2")
        .await
        .assert_error(404, 40406);
    assert_eq!(
        app.get("/subjects/vd/versions/latest").await.assert_ok()["version"],
        1
    );
    // Soft-deleted versions listed as negative numbers, in version order.
    assert_eq!(
        app.get("/subjects/vd/versions?deletedAsNegative=true")
            .await
            .assert_ok(),
        json!([1, -2])
    );
    assert_eq!(
        app.get("/subjects/vd/versions?deletedOnly=true&deletedAsNegative=TRUE")
            .await
            .assert_ok(),
        json!([-2])
    );
    assert_eq!(
        app.delete("/subjects/vd/versions/2?permanent=true")
            .await
            .assert_ok(),
        json!(2)
    );
    app.get("/subjects/vd/versions/2?deleted=true")
        .await
        .assert_error(404, 40402);
}

async fn versions_are_not_reused_after_soft_delete(app: &TestApp) {
    app.register("n", &v(1)).await;
    app.register("n", &v(2)).await;
    app.delete("/subjects/n").await.assert_ok();
    // Re-registering after a soft delete gives new version numbers and the same ids.
    let r1 = app
        .register_body("n", json!({ "schema": v(1).to_string() }))
        .await
        .assert_ok();
    let r2 = app
        .register_body("n", json!({ "schema": v(2).to_string() }))
        .await
        .assert_ok();
    assert_eq!(
        (r1["version"].as_i64(), r1["id"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (r2["version"].as_i64(), r2["id"].as_i64()),
        (Some(4), Some(2))
    );
    app.get("/subjects/n/versions/1")
        .await
        .assert_error(404, 40402);
}

async fn hard_deleted_ids_answer_404(app: &TestApp) {
    let id = app.register("h", &v(1)).await;
    app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    app.delete("/subjects/h").await.assert_ok();
    app.delete("/subjects/h?permanent=true").await.assert_ok();
    app.get(&format!("/schemas/ids/{id}"))
        .await
        .assert_error(404, 40403);
    // Registering the same content again brings the id back: ids name content, never reused
    // for other content.
    assert_eq!(app.register("h2", &v(1)).await, id);
}
