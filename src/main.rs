//! The `guestlist` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    guestlist::cli::main()
}

/// glibc gives threads that allocate at once arenas of their own (up to 8
/// per core), and memory freed in one arena is not reused by another. The
/// token cache is filled from the blocking pool's threads; with 1M tokens
/// stored and 100k cached, the load bench's RSS was 145 MiB with glibc's
/// default and 122 MiB with two arenas (BENCHMARKS.md has the command).
/// `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: first thing in main, before any other thread exists;
        // mallopt only changes a setting of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
