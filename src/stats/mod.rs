//! Statistical tests and models, one file per family, named after the
//! scipy / statsmodels functions they reproduce and returning named structs
//! instead of tuples.

pub mod chisq;
pub mod dist;
pub mod linalg;
pub mod logit;
pub mod multitest;
pub mod ols;
pub mod predictive;
pub mod quantile;
pub mod survival;
pub mod table2x2;
pub mod twosample;
