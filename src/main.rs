//! The `guestlist` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    guestlist::cli::main()
}
