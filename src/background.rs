//! Work taken off a run's critical path: freeing large tables on a helper
//! thread while the next stage runs.

/// Drops `value` on a helper thread: freeing a large study or table takes a
/// while and nothing waits for it. Where no thread can be started, it is
/// dropped here (never a panic).
pub fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("churnlab-free".into())
        .spawn(move || drop(value));
}
