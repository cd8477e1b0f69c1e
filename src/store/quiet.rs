//! Catching redb's panics on a damaged file without the default panic
//! message on stderr: the caller reports one clear line instead.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs inside [`catch`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `f`; `None` if it panicked. Panics of other threads (and of this
/// one outside `catch`) are reported as before.
pub(super) fn catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|quiet| quiet.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(false));
    result.ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_none_and_a_value_passes() {
        assert_eq!(super::catch(|| 7), Some(7));
        assert_eq!(super::catch(|| -> u8 { panic!("damaged") }), None);
    }
}
