//! The command line through the built binary: offline administration,
//! export and import. Each test has its own data folder.

mod mint;
mod offline;
mod support;
mod transfer;
