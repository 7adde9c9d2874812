//! Deep recursions that outgrow the caller's stack.
//!
//! The comparisons recurse once per level of nesting. They run on the caller's stack up to a
//! cap that fits any thread (a tokio worker has 2 MiB); a comparison that reaches that cap is
//! redone here, on a thread of its own with a stack sized for the format's full depth limit.

/// `work` on a new thread named `name` with a `stack_bytes` stack; `None` if the thread
/// could not be started or panicked (the caller keeps its capped answer).
pub(crate) fn on_deep_stack<T: Send>(
    name: &str,
    stack_bytes: usize,
    work: impl FnOnce() -> T + Send,
) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(name.into())
            .stack_size(stack_bytes)
            .spawn_scoped(scope, work)
            .ok()
            .and_then(|handle| handle.join().ok())
    })
}
