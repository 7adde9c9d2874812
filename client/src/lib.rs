//! Schemata client (grows in its own issue).
