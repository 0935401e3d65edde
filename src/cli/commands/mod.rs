//! One module per subcommand.

pub mod cache;
