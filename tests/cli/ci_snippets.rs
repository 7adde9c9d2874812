//! The CI steps `client/README.md` offers for copy and paste, run as written (extracted
//! from the README, so the test and the documentation cannot drift apart) against a live
//! registry: a compatible change passes the job, an incompatible one fails it.

use crate::common::spawn_registry;
use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../client/README.md");

const V1: &str = r#"{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"}]}"#;
const COMPATIBLE: &str = r#"{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"},{"name":"note","type":["null","string"],"default":null}]}"#;
const INCOMPATIBLE: &str =
    r#"{"type":"record","name":"Payment","fields":[{"name":"id","type":"int"}]}"#;

/// The lines after the first line equal to `opening` (trimmed) that are indented deeper
/// than it, with that indentation removed.
fn block_after(opening: &str) -> String {
    let mut lines = README.lines().skip_while(|l| l.trim() != opening);
    let first = lines.next().expect("the README holds the snippet");
    let outer = first.len() - first.trim_start().len();
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > outer)
        .collect();
    let inner = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.iter()
        .map(|l| l.get(inner..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Run a CI script in `dir` with `schemata` on the PATH, as a CI runner would.
fn run_script(script: &str, dir: &Path, registry_url: &str) -> std::process::Output {
    let binary = Path::new(env!("CARGO_BIN_EXE_schemata"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("SCHEMATA_REGISTRY_URL", registry_url)
        .env_remove("SCHEMATA_REGISTRY_BASIC_AUTH")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_ci_steps_pass_a_compatible_change_and_fail_an_incompatible_one() {
    let registry = spawn_registry().await;
    let client = reqwest::Client::new();
    let registered = client
        .post(format!("{}/subjects/payment-value/versions", registry.url))
        .json(&serde_json::json!({ "schema": V1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);
    let github = block_after("run: |");
    let gitlab = block_after("- |");
    assert!(github.contains("schemata check") && gitlab.contains("schemata check"));
    let dir = std::env::temp_dir().join(format!("schemata_ci_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    let url = registry.url.clone();
    let run = |script: String, dir: std::path::PathBuf| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || run_script(&script, &dir, &url))
    };
    for (ci, script) in [("GitHub", &github), ("GitLab", &gitlab)] {
        std::fs::write(dir.join("schemas/payment.avsc"), COMPATIBLE).unwrap();
        let passed = run(script.clone(), dir.clone()).await.unwrap();
        assert!(passed.status.success(), "{ci}: {passed:?}");
        std::fs::write(dir.join("schemas/payment.avsc"), INCOMPATIBLE).unwrap();
        let failed = run(script.clone(), dir.clone()).await.unwrap();
        assert_eq!(failed.status.code(), Some(1), "{ci}: {failed:?}");
    }
    // GitLab's step keeps the verdict as an artifact and shows it in the job log.
    let report = std::fs::read_to_string(dir.join("check-payment-value.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["is_compatible"], false, "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}
