//! The command line through the built binary: offline administration,
//! export and import. Each test has its own data folder.

mod offline;
mod support;
mod transfer;
