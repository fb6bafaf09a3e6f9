//! The `accept-rec` command.

fn main() {}
