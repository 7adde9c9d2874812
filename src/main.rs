//! The `schemata` binary: installs the allocator and hands the command line to the library
//! (`cli::run`), where everything lives so tests drive the real application in-process.

// The registration path allocates many small, short-lived values (JSON and schema trees)
// while the caches hold long-lived ones; glibc's allocator fragments under that mix and was
// measured at ~20% of the server's CPU in the registration benchmark (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    schemata::cli::run()
}
