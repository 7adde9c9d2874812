//! PostgreSQL client certificates (docs/tls.md §3): libpq's `sslcert` and `sslkey` in the
//! store's URL authenticate it to a server that asks for them.
//!
//! The shared PostgreSQL on 5432 asks for no client certificate (it has no `ssl_ca_file`)
//! and its trust authentication is what every other test uses, so this test starts a
//! PostgreSQL of its own: `initdb` in a temporary directory (as the `postgres` user when the
//! test runs as root, since PostgreSQL refuses to), TLS with a server certificate and a
//! client CA made with rcgen, on a free port, where the role `certuser` may log in only with
//! the `cert` method: a client certificate signed by that CA whose CN is `certuser`.

#[path = "../lib/certs.rs"]
mod certs;

use certs::{Authority, PemDir};
use schemata::store::{Store, StoreOptions};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The directory of PostgreSQL's programs: `initdb` on the PATH, else Debian's newest
/// `/usr/lib/postgresql/<version>/bin`.
fn postgres_bin() -> PathBuf {
    let on_path = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(initdb) = on_path {
        return initdb.parent().unwrap().to_path_buf();
    }
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's programs (initdb, pg_ctl) are installed")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort();
    let newest = versions.last().expect("a PostgreSQL version is installed");
    PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin"))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL cluster of the test's own, stopped (immediately) and removed on drop.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    /// Holds the data directory and the certificates.
    dir: PemDir,
}

impl Cluster {
    /// One of PostgreSQL's programs, run as the user owning the cluster.
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Start a cluster serving TLS with `server` (its certificate and key) and asking for
    /// client certificates signed by `client_ca`; `certuser` logs in by certificate only.
    fn start(dir: PemDir, server: (PathBuf, PathBuf), client_ca: &Path) -> Cluster {
        let as_postgres = running_as_root();
        let data = dir.path("data");
        let cluster = Cluster {
            bin: postgres_bin(),
            data: data.clone(),
            port: free_port(),
            as_postgres,
            dir,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&cluster.dir.0)
                .status()
                .unwrap();
            assert!(owned.success(), "chown to postgres");
        }
        // The server's key must be private to the user running the server.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&server.1, std::fs::Permissions::from_mode(0o600)).unwrap();
        let data_arg = data.to_str().unwrap();
        cluster.run(
            "initdb",
            &["-D", data_arg, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{data_arg}'\n\
             ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nssl_ca_file = '{}'\n\
             fsync = off\nmax_connections = 20\n",
            cluster.port,
            server.0.display(),
            server.1.display(),
            client_ca.display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all postgres 127.0.0.1/32 trust\n\
             hostssl all certuser 127.0.0.1/32 cert\n",
        )
        .unwrap();
        let log = data.join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                data_arg,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        cluster
    }

    fn url(&self, user: &str, database: &str, query: &str) -> String {
        format!(
            "postgres://{user}@127.0.0.1:{}/{database}?{query}",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.to_str().unwrap().to_string();
        let stop = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
        }));
        if stop.is_err() {
            eprintln!("the test's PostgreSQL did not stop");
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// What connecting the store to `url` says, once it failed.
async fn refusal(url: &str) -> String {
    match Store::connect(url, &StoreOptions::default()).await {
        Ok(_) => panic!("connected: {url}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_client_certificate_in_the_url_logs_in_to_a_server_that_asks_for_one() {
    let dir = PemDir::new();
    let server_ca = Authority::new("server-ca");
    let client_ca = Authority::new("client-ca");
    let other_ca = Authority::new("other-ca");
    let root = server_ca.write(&dir, "server-ca.pem");
    let trusted = client_ca.write(&dir, "client-ca.pem");
    let server = server_ca.server().write(&dir, "server");
    let (cert, key) = client_ca.client("certuser").write(&dir, "certuser");
    let (intruder_cert, intruder_key) = client_ca.client("intruder").write(&dir, "intruder");
    let (foreign_cert, foreign_key) = other_ca.client("certuser").write(&dir, "foreign");
    let garbage_key = dir.write("garbage.key", "SECRET-KEY-MATERIAL\n");
    let cluster = Cluster::start(dir, server, &trusted);

    let verified = |cert: &Path, key: &Path| {
        format!(
            "sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
            root.display(),
            cert.display(),
            key.display()
        )
    };
    let mut admin = sqlx::PgConnection::connect(&cluster.url(
        "postgres",
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    ))
    .await
    .expect("the superuser connects over TLS without a certificate");
    for statement in [
        "CREATE ROLE certuser LOGIN",
        "CREATE DATABASE certdb OWNER certuser",
    ] {
        sqlx::raw_sql(statement).execute(&mut admin).await.unwrap();
    }

    // The certificate signed by the client CA, CN = the role: in, and the server saw it.
    let store = Store::connect(
        &cluster.url("certuser", "certdb", &verified(&cert, &key)),
        &StoreOptions {
            max_connections: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("the store logs in with its client certificate");
    store.check_ready().await.expect("migrated and answering");
    let seen: Vec<(Option<String>, bool)> = sqlx::query_as(
        "select s.client_dn, s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) \
         where a.usename = 'certuser'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!seen.is_empty(), "the store holds connections");
    for (dn, ssl) in &seen {
        assert!(*ssl);
        assert_eq!(dn.as_deref(), Some("/CN=certuser"));
    }
    drop(store);

    // Without a certificate, with another CN, or from another CA: refused, saying so.
    let no_certificate = refusal(&cluster.url(
        "certuser",
        "certdb",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    ))
    .await;
    assert!(
        no_certificate.contains("connection requires a valid client certificate"),
        "{no_certificate}"
    );
    let other_name = refusal(&cluster.url(
        "certuser",
        "certdb",
        &verified(&intruder_cert, &intruder_key),
    ))
    .await;
    assert!(
        other_name.contains("certificate authentication failed for user \"certuser\""),
        "{other_name}"
    );
    let other_ca =
        refusal(&cluster.url("certuser", "certdb", &verified(&foreign_cert, &foreign_key))).await;
    assert!(other_ca.contains("127.0.0.1"), "{other_ca}");

    // A key file that is missing or not a key: the error names the file and never shows
    // what is in it.
    let missing = cluster.dir.path("missing.key");
    let no_key = refusal(&cluster.url("certuser", "certdb", &verified(&cert, &missing))).await;
    assert!(no_key.contains(missing.to_str().unwrap()), "{no_key}");
    let bad_key = refusal(&cluster.url("certuser", "certdb", &verified(&cert, &garbage_key))).await;
    assert!(bad_key.contains(garbage_key.to_str().unwrap()), "{bad_key}");
    assert!(!bad_key.contains("SECRET-KEY-MATERIAL"), "{bad_key}");
}
