//! Named tolerances of the numeric checks, each with the reason for its size,
//! and the one comparison they all go through (`approx`).

/// statsmodels / scipy / numpy references: the brief's 1e-6 relative.
pub const REFERENCE: f64 = 1e-6;
/// Firth fits against R brglm2: 1e-4 relative, as the driver issue set it
/// (both iterate to 1e-12, so they agree far closer in practice).
pub const FIRTH: f64 = 1e-4;
/// Independent pandas / numpy computations of the same sums and ratios
/// (KPIs, control limits): only summation order differs, far below 1e-9.
pub const SAME_SUMS: f64 = 1e-9;
/// Ratios of integers and order statistics, computed the same way: equal up
/// to the last few bits.
pub const EXACT: f64 = 1e-12;
/// A fraction such as 5/6 written as a decimal literal: one rounding.
pub const ONE_ROUNDING: f64 = 1e-15;
/// Money amounts in cents, summed in another order: absolute.
pub const CENTS: f64 = 1e-6;
/// A value checked against a constant printed to four significant digits
/// (a textbook table).
pub const PRINTED_4: f64 = 1e-3;
/// Below this a p-value has underflowed in one implementation or the other;
/// both only need to be tiny.
pub const TINY: f64 = 1e-300;

/// `got` and `want` agree to `rel` relative (or `abs` absolute, for values
/// near zero).
pub fn agree(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    approx::relative_eq!(got, want, epsilon = abs, max_relative = rel)
}
