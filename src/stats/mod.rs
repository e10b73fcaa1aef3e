//! Statistical tests, one file per family, named after scipy's functions and
//! returning named structs instead of tuples.

pub mod chisq;
