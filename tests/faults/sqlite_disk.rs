//! A SQLite file whose file system fills up under the running server: registrations are
//! refused with a clear 503 in the error envelope (docs/rest-api.md §9), never a panic or
//! the database's own words; reads keep working; once space returns, registrations work
//! again, `PRAGMA integrity_check` is `ok` and every acknowledged schema is intact.
//!
//! The fault is real, not simulated: the database lives on a small tmpfs mounted for the
//! test (which needs the root privileges the tests and CI run with), filled to the last byte
//! by a ballast file, so SQLite itself meets `ENOSPC`.

use crate::common::{spawn_on, Backend, TestApp};
use serde_json::{json, Value};
use sqlx::Connection;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Registrations tried while the disk is full (then again once it has room).
const DURING: usize = 8;

/// A tmpfs of a few MiB mounted on a fresh directory, detached when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let path =
            std::env::temp_dir().join(format!("schemata_faults_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("run mount");
        assert!(
            mounted.status.success(),
            "mounting a tmpfs needs root (as the tests and CI run): {}",
            String::from_utf8_lossy(&mounted.stderr)
        );
        SmallDisk { path }
    }

    fn ballast(&self) -> PathBuf {
        self.path.join("ballast")
    }

    /// Take every byte left: write until the file system says it is full.
    fn fill(&self) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.ballast())
            .unwrap();
        let mut chunk = 64 * 1024;
        while chunk > 0 {
            match file.write_all(&vec![0u8; chunk]) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => chunk /= 2, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.ballast()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: the server, still running until the test's runtime ends, holds the
        // database open; the kernel frees the tmpfs once it lets go.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// A schema of some 20 KiB, so a registration needs more than the slack of the last page
/// of the write-ahead log.
fn wide(name: &str) -> Value {
    let fields: Vec<Value> = (0..400)
        .map(|f| json!({"name": format!("field_{f:04}"), "type": "string", "default": ""}))
        .collect();
    json!({"type": "record", "name": name, "fields": fields})
}

async fn register(app: &TestApp, subject: &str, schema: &Value) -> crate::common::Reply {
    app.post(
        &format!("/subjects/{subject}/versions"),
        json!({"schema": schema.to_string()}),
    )
    .await
}

async fn integrity_check(database: &Path) -> String {
    let url = format!("sqlite://{}", database.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    verdict
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_registrations_clearly_and_corrupts_nothing() {
    let _alone = crate::one_at_a_time().await;
    let disk = SmallDisk::mount("4m");
    let database = disk.path.join("registry.db");
    let url = format!("sqlite://{}", database.display());
    let app = spawn_on(&url, Backend::Sqlite, Default::default()).await;
    let mut acked = Vec::new();
    for n in 0..4 {
        let (subject, schema) = (format!("before-{n}"), wide(&format!("Before{n}")));
        let id = register(&app, &subject, &schema).await.assert_ok()["id"].clone();
        acked.push((subject, schema, id));
    }

    for n in 0..DURING {
        // Again before each: SQLite may hand back space a failed write had taken.
        disk.fill();
        let r = register(&app, &format!("during-{n}"), &wide(&format!("During{n}"))).await;
        r.assert_error(503, 50001);
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains("full or read-only"), "{message}");
        assert!(message.contains("request id "), "{message}");
        // Not SQLite's own words ("database or disk is full"), nor the file's path.
        for leak in ["database or disk", "SQLITE", "registry.db"] {
            assert!(!message.contains(leak), "{message}");
        }
    }
    // Reads keep working, from the database as from the caches.
    let subjects = app.get("/subjects").await.assert_ok();
    assert_eq!(subjects.as_array().unwrap().len(), 4, "{subjects}");
    for (subject, schema, id) in &acked {
        let stored = app
            .get(&format!("/subjects/{subject}/versions/1"))
            .await
            .assert_ok();
        assert_eq!(&stored["id"], id);
        let by_id = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
        let text: Value = serde_json::from_str(by_id["schema"].as_str().unwrap()).unwrap();
        assert_eq!(&text, schema);
    }

    disk.free();
    for n in 0..DURING {
        let (subject, schema) = (format!("during-{n}"), wide(&format!("During{n}")));
        let answer = register(&app, &subject, &schema).await.assert_ok();
        assert_eq!(answer["version"], 1, "nothing half-written: {answer}");
        acked.push((subject, schema, answer["id"].clone()));
    }
    assert_eq!(integrity_check(&database).await, "ok");
    // A second server with empty caches finds every acknowledged schema as answered.
    let reader = spawn_on(&url, Backend::Sqlite, Default::default()).await;
    for (subject, schema, id) in &acked {
        let stored = reader
            .get(&format!("/subjects/{subject}/versions/1"))
            .await
            .assert_ok();
        assert_eq!(&stored["id"], id, "{subject}");
        let text: Value = serde_json::from_str(stored["schema"].as_str().unwrap()).unwrap();
        assert_eq!(&text, schema, "{subject}");
    }
    assert_eq!(
        reader
            .get("/subjects")
            .await
            .assert_ok()
            .as_array()
            .unwrap()
            .len(),
        acked.len()
    );
}
