//! The embedded default dataset: the UCI optical digits (1797 samples, 8×8, 10 classes), compiled
//! into the crate so a fresh clone has real data with nothing downloaded.
//!
//! Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
//! Learning Repository (the test part, as shipped in scikit-learn), 1998, DOI 10.24432/C50P49.
//! Licence: Creative Commons Attribution 4.0 International (CC BY 4.0,
//! <https://creativecommons.org/licenses/by/4.0/>); the data are unchanged. The notice ships with
//! the crate in `data/digits/README.md`.

use crate::csv::parse_digits_csv;
use crate::dataset::Dataset;
use std::io::BufReader;
use std::path::Path;

/// The gzip-compressed CSV, as shipped in the crate's `data/digits/digits.csv.gz` (UCI optdigits,
/// CC BY 4.0, E. Alpaydin and C. Kaynak).
pub const EMBEDDED_DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits/digits.csv.gz");

/// Image side of the embedded digits (8×8).
pub const DIGITS_SIDE: usize = 8;

/// The embedded UCI digits: 1797 rows × 64 pixels in [0, 1], labels 0..=9, class names "0".."9".
///
/// # Panics
/// Never for the committed file (a unit test parses it); the data is part of the binary.
pub fn embedded_digits() -> Dataset {
    let gz = flate2::read::GzDecoder::new(EMBEDDED_DIGITS_CSV_GZ);
    let (features, labels) = parse_digits_csv(BufReader::new(gz), Path::new("<embedded digits.csv.gz>"))
        .expect("the embedded digits parse (checked by a unit test)");
    Dataset::new(features, labels, None).expect("the embedded digits are consistent")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::label_histogram;

    #[test]
    fn embedded_digits_are_the_uci_test_set() {
        let ds = embedded_digits();
        assert_eq!((ds.n(), ds.d()), (1797, 64));
        assert_eq!(ds.num_classes(), 10);
        assert_eq!(ds.features().value_range(), Some((0.0, 1.0)));
        // Per-class counts of the UCI optdigits test part.
        assert_eq!(label_histogram(ds.labels()), vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    }
}
