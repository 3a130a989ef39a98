//! Browser benchmark (being written).
fn main() {}
