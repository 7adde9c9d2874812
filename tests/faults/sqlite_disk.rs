//! A SQLite file whose file system fills up, or turns read-only, under the running server:
//! registrations are refused with a clear 503 in the error envelope (docs/rest-api.md §9),
//! never a panic or the database's own words; reads keep working; once the disk has room
//! again (or the file system is mounted again), registrations work, `PRAGMA
//! integrity_check` is `ok` and every acknowledged schema is intact.
//!
//! The faults are real, not simulated, and need the root privileges the tests and CI run
//! with: a small tmpfs filled to the last byte by a ballast file (SQLite meets `ENOSPC`),
//! and a loop-mounted ext4 image with `errors=remount-ro` whose kernel is told to report an
//! error (`trigger_fs_error`), which turns it read-only under the open database as a failing
//! disk would (SQLite meets `EROFS`). A plain `mount -o remount,ro` is refused while the
//! server holds the file open for writing.

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
        run(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path));
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
        assert!(message.contains("cannot store anything"), "{message}");
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

/// A 16 MiB ext4 image, loop-mounted with `errors=remount-ro` on a fresh directory.
struct Ext4Disk {
    image: PathBuf,
    path: PathBuf,
}

impl Ext4Disk {
    fn create() -> Ext4Disk {
        let base =
            std::env::temp_dir().join(format!("schemata_faults_{}", uuid::Uuid::new_v4().simple()));
        let (image, path) = (base.with_extension("img"), base);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::File::create(&image)
            .unwrap()
            .set_len(16 << 20)
            .unwrap();
        run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image));
        let disk = Ext4Disk { image, path };
        disk.mount();
        disk
    }

    fn mount(&self) {
        run(Command::new("mount")
            .args(["-o", "loop,errors=remount-ro"])
            .arg(&self.image)
            .arg(&self.path));
    }

    /// Make the kernel report a file-system error: with `errors=remount-ro`, the file
    /// system is read-only from then on, for files already open too.
    fn fail(&self) {
        let device = run(Command::new("findmnt")
            .args(["-no", "SOURCE"])
            .arg(&self.path));
        let name = device.trim().rsplit('/').next().unwrap().to_string();
        std::fs::write(
            format!("/sys/fs/ext4/{name}/trigger_fs_error"),
            "schemata fault test",
        )
        .expect("trigger an ext4 error");
    }

    /// Unmount (waiting for the stopped server's connections to close) and mount again,
    /// as an operator does once the disk is repaired.
    fn mount_again(&self) {
        let mut tries = 0;
        while !Command::new("umount")
            .arg(&self.path)
            .status()
            .unwrap()
            .success()
        {
            tries += 1;
            assert!(tries < 300, "the file system stayed busy");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        self.mount();
    }
}

impl Drop for Ext4Disk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
        let _ = std::fs::remove_file(&self.image);
    }
}

/// Run a command that must succeed; its standard output.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} (needs root, as the tests and CI run): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The server runs on a runtime of its own, shut down (closing its database connections)
/// before the file system is mounted again.
#[test]
fn a_read_only_file_system_refuses_registrations_clearly_and_corrupts_nothing() {
    let _alone = crate::one_at_a_time_blocking();
    let disk = Ext4Disk::create();
    let database = disk.path.join("registry.db");
    let url = format!("sqlite://{}", database.display());
    let (server, client) = (runtime(), runtime());
    let app = server.block_on(spawn_on(&url, Backend::Sqlite, Default::default()));
    let mut acked = Vec::new();
    for n in 0..4 {
        let (subject, schema) = (format!("before-{n}"), wide(&format!("Before{n}")));
        let id = client
            .block_on(register(&app, &subject, &schema))
            .assert_ok()["id"]
            .clone();
        acked.push((subject, schema, id));
    }

    disk.fail();
    for n in 0..DURING {
        let r = client.block_on(register(
            &app,
            &format!("during-{n}"),
            &wide(&format!("During{n}")),
        ));
        r.assert_error(503, 50001);
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains("cannot store anything"), "{message}");
        for leak in ["disk I/O error", "SQLITE", "registry.db"] {
            assert!(!message.contains(leak), "{message}");
        }
    }
    client.block_on(async {
        let subjects = app.get("/subjects").await.assert_ok();
        assert_eq!(subjects.as_array().unwrap().len(), 4, "{subjects}");
        for (subject, schema, id) in &acked {
            let stored = app
                .get(&format!("/subjects/{subject}/versions/1"))
                .await
                .assert_ok();
            assert_eq!(&stored["id"], id);
            let text: Value = serde_json::from_str(stored["schema"].as_str().unwrap()).unwrap();
            assert_eq!(&text, schema);
        }
    });

    server.shutdown_timeout(std::time::Duration::from_secs(10));
    disk.mount_again();
    client.block_on(async {
        assert_eq!(integrity_check(&database).await, "ok");
        let app = spawn_on(&url, Backend::Sqlite, Default::default()).await;
        for (subject, schema, id) in &acked {
            let stored = app
                .get(&format!("/subjects/{subject}/versions/1"))
                .await
                .assert_ok();
            assert_eq!(&stored["id"], id, "{subject}");
            let text: Value = serde_json::from_str(stored["schema"].as_str().unwrap()).unwrap();
            assert_eq!(&text, schema, "{subject}");
        }
        for n in 0..DURING {
            let answer = register(&app, &format!("during-{n}"), &wide(&format!("During{n}")))
                .await
                .assert_ok();
            assert_eq!(answer["version"], 1, "nothing half-written: {answer}");
        }
        assert_eq!(integrity_check(&database).await, "ok");
    });
    client.shutdown_timeout(std::time::Duration::from_secs(10));
}
