//! The architecture invariants of ARCHITECTURE.md ("Architecture invariants, checked"),
//! enforced by reading the workspace's sources: one-way layers, a `//!` line at the top of
//! every Rust file, no comment citing a document outside the repository, no long function
//! in `src/` without a reason, and a `Dockerfile` whose dependency layer still builds
//! (docs/container.md).

use std::path::{Path, PathBuf};

/// Functions in `src/` longer than this need a comment saying why, containing
/// [`LONG_FUNCTION_REASON`].
const MAX_FUNCTION_LINES: usize = 120;
const LONG_FUNCTION_REASON: &str = "Long because";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` (relative to the workspace) whose name ends with `extension`.
fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
                    walk(&path, extension, out);
                }
            } else if path.to_string_lossy().ends_with(extension) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace().join(dir), extension, &mut out);
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The code of a file without its comments (line comments only: the sources use no block
/// comments), so that prose may name any layer.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) is kept: the quote count before it is odd.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which layer a file of `src/` belongs to.
fn layer(path: &Path) -> &'static str {
    let rel = relative(path);
    ["domain", "store", "registry", "api", "cli"]
        .into_iter()
        .find(|layer| rel.starts_with(&format!("src/{layer}/")))
        .unwrap_or("root")
}

/// What each layer must not name in its code.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "domain" => &[
            "crate::store",
            "crate::registry",
            "crate::api",
            "crate::cli",
            "sqlx",
            "axum",
            "tokio",
            "reqwest",
            "std::fs",
        ],
        "store" => &[
            "crate::registry",
            "crate::api",
            "crate::cli",
            "axum",
            "StatusCode",
        ],
        "registry" => &[
            "crate::api",
            "crate::cli",
            "axum",
            "http::",
            "StatusCode",
            "sqlx",
        ],
        "api" => &["sqlx", "crate::store", "crate::cli"],
        "cli" => &["sqlx", "axum::http::StatusCode"],
        _ => &["sqlx"],
    }
}

#[test]
fn layers_depend_one_way() {
    let mut broken = Vec::new();
    for path in files("src", ".rs") {
        if relative(&path) == "src/tidy.rs" {
            continue;
        }
        let code = code_of(&read(&path));
        for name in forbidden(layer(&path)) {
            if code.contains(name) {
                broken.push(format!(
                    "{} ({}) names `{name}`",
                    relative(&path),
                    layer(&path)
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn compat_does_no_io() {
    let mut broken = Vec::new();
    for path in files("compat/src", ".rs") {
        let code = code_of(&read(&path));
        for name in [
            "std::fs",
            "std::net",
            "File::open",
            "File::create",
            "tokio",
            "reqwest",
            "std::process",
        ] {
            if code.contains(name) {
                broken.push(format!("{} names `{name}`", relative(&path)));
            }
        }
    }
    assert!(broken.is_empty(), "compat does I/O:\n{}", broken.join("\n"));
}

#[test]
fn the_client_does_not_depend_on_the_server() {
    let manifest = read(&workspace().join("client/Cargo.toml"));
    assert!(!manifest.contains("schemata ="), "client/Cargo.toml");
    assert!(
        !manifest.contains("schemata.workspace"),
        "client/Cargo.toml"
    );
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    let mut missing = Vec::new();
    for dir in ["src", "tests", "compat", "client", "fuzz"] {
        for path in files(dir, ".rs") {
            if !read(&path).starts_with("//!") {
                missing.push(relative(&path));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a `//!` first line:\n{}",
        missing.join("\n")
    );
}

#[test]
fn comments_cite_only_documents_in_the_repository() {
    // The notes the team researched from live outside the repository; the code cites
    // `docs/` instead. The paths are assembled here so that this file does not cite them.
    let notes = "spec";
    let outside: Vec<String> = ["rest-api.md", "compatibility.md", "clients.md"]
        .iter()
        .map(|doc| format!("{notes}/{doc}"))
        .chain([format!("{}/", "shared")])
        .collect();
    let mut cited = Vec::new();
    for (dir, extension) in [
        ("src", ".rs"),
        ("compat", ".rs"),
        ("client", ".rs"),
        ("tests", ".rs"),
        ("tests", ".py"),
        ("tests", ".js"),
        ("tests", ".md"),
        ("bench", ".md"),
        ("bench", ".sh"),
        ("fuzz", ".rs"),
        ("fuzz", ".md"),
        ("fuzz", ".sh"),
        ("fuzz", ".py"),
        ("scripts", ""),
        ("docs", ".md"),
    ] {
        for path in files(dir, extension) {
            let text = read(&path);
            for name in &outside {
                if text.contains(name) {
                    cited.push(format!("{} cites {name}", relative(&path)));
                }
            }
        }
    }
    for top in ["README.md", "ARCHITECTURE.md"] {
        let text = read(&workspace().join(top));
        for name in &outside {
            if text.contains(name) {
                cited.push(format!("{top} cites {name}"));
            }
        }
    }
    assert!(cited.is_empty(), "{}", cited.join("\n"));
}

/// Functions of `src/` and their length in lines: from the `fn` line to the closing brace at
/// the same indentation (rustfmt's layout).
fn functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = trimmed
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("async ")
            .trim_start_matches("const ");
        if !signature.starts_with("fn ") {
            continue;
        }
        let closing = format!("{indent}}}");
        if let Some(end) = (start + 1..lines.len()).find(|&i| lines[i] == closing) {
            out.push((start, end - start + 1, signature.to_string()));
        }
    }
    out
}

#[test]
fn long_functions_say_why() {
    let mut long = Vec::new();
    for path in files("src", ".rs") {
        let text = read(&path);
        let lines: Vec<&str> = text.lines().collect();
        for (start, length, signature) in functions(&text) {
            if length <= MAX_FUNCTION_LINES {
                continue;
            }
            let comment = lines[..start]
                .iter()
                .rev()
                .take_while(|l| {
                    l.trim_start().starts_with("//") || l.trim_start().starts_with("#[")
                })
                .any(|l| l.contains(LONG_FUNCTION_REASON));
            if !comment {
                long.push(format!(
                    "{}:{} {length} lines: {signature}",
                    relative(&path),
                    start + 1
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_function_scanner_measures_rustfmt_layout() {
    let text = "fn a() {\n    x();\n}\n\n    pub async fn b(\n        y: u8,\n    ) {\n    }\n";
    let found = functions(text);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].0, found[0].1), (0, 3));
    assert_eq!((found[1].0, found[1].1), (4, 4));
    assert_eq!(code_of("let a = 1; // crate::api"), "let a = 1; ");
    assert_eq!(code_of("let u = \"http://x\";"), "let u = \"http://x\";");
}

/// The Dockerfile's dependency layer (docs/container.md, "Building") builds the workspace from
/// its manifests and stand-ins for the sources; cargo refuses a manifest whose targets have no
/// file. So every member's manifest is copied, every target a manifest names (and each
/// crate's `src/lib.rs`, `src/main.rs`) gets a stand-in, and every source directory is copied
/// afterwards. `.dockerignore` keeps history, build output and databases out of the context.
#[test]
fn the_dockerfile_stands_in_for_every_target() {
    let dockerfile = read(&workspace().join("Dockerfile"));
    let table = |path: &Path| -> toml::Table {
        read(path)
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let root = table(&workspace().join("Cargo.toml"));
    let members: Vec<String> = root["workspace"]["members"]
        .as_array()
        .expect("workspace.members")
        .iter()
        .map(|member| member.as_str().expect("a member").to_string())
        .collect();
    let mut missing = Vec::new();
    for member in &members {
        let prefix = if member == "." {
            String::new()
        } else {
            format!("{member}/")
        };
        let manifest = table(&workspace().join(&prefix).join("Cargo.toml"));
        let mut needed = vec![
            format!("COPY {prefix}Cargo.toml"),
            format!("COPY {prefix}src {prefix}src"),
        ];
        for root_file in ["src/lib.rs", "src/main.rs"] {
            if workspace().join(&prefix).join(root_file).exists() {
                needed.push(format!("{prefix}{root_file}"));
            }
        }
        for (kind, directory) in [
            ("bin", "src/bin"),
            ("bench", "benches"),
            ("test", "tests"),
            ("example", "examples"),
        ] {
            for target in manifest
                .get(kind)
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                let path = match (target.get("path"), target.get("name")) {
                    (Some(path), _) => path.as_str().expect("a path").to_string(),
                    (None, Some(name)) => {
                        format!("{directory}/{}.rs", name.as_str().expect("a name"))
                    }
                    (None, None) => continue,
                };
                needed.push(format!("{prefix}{path}"));
            }
        }
        missing.extend(
            needed
                .into_iter()
                .filter(|text| !dockerfile.contains(text.as_str())),
        );
    }
    assert!(
        missing.is_empty(),
        "the Dockerfile's dependency layer lacks:\n{}",
        missing.join("\n")
    );
    let ignore = read(&workspace().join(".dockerignore"));
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for pattern in [
        ".git",
        "**/target",
        "**/*.db",
        "**/*-wal",
        "**/*-shm",
        "**/node_modules",
    ] {
        assert!(ignored.contains(&pattern), ".dockerignore lacks {pattern}");
    }
}
