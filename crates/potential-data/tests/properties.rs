//! Property tests: writers and readers round-trip; the header parsers and the .amat reader return a
//! value or a typed error on arbitrary bytes (a quick in-CI complement of the fuzz targets).

use potential_data::*;
use proptest::prelude::*;

proptest! {
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(9), ..ProptestConfig::default() })]

    #[test]
    fn npy_round_trips(n in 0usize..40, d in 1usize..20, seed in any::<u32>()) {
        let data: Vec<f32> = (0..n * d).map(|i| ((i as u32).wrapping_mul(2654435761) ^ seed) as f32 / 1e9).collect();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        write_npy_f32(&p, &data, &[n, d]).unwrap();
        prop_assert_eq!(read_npy_header(&p).unwrap().data_offset % 64, 0);
        let f = read_npy_features(&p).unwrap();
        prop_assert_eq!((f.n(), f.d()), (n, d));
        prop_assert_eq!(f.as_slice(), &data[..]);
        // SAFETY: the file is private to this test case and not modified while mapped.
        let m = unsafe { map_npy_features(&p) }.unwrap();
        prop_assert_eq!(m.as_slice(), &data[..]);
        let mut w = NpyRowWriter::create(&p, d).unwrap();
        for r in data.chunks(d) {
            w.push_row(r).unwrap();
        }
        w.finish().unwrap();
        let streamed = read_npy_features(&p).unwrap();
        prop_assert_eq!(streamed.as_slice(), &data[..]);
    }

    #[test]
    fn labels_round_trip(labels in proptest::collection::vec(0u32..2000, 0..50)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.npy");
        write_npy_labels(&p, &labels).unwrap();
        prop_assert_eq!(read_npy_labels(&p).unwrap(), labels);
    }

    #[test]
    fn amat_text_round_trips(rows in proptest::collection::vec((proptest::collection::vec(-1e6f32..1e6, 3), 0u32..10), 1..20)) {
        let text: String = rows
            .iter()
            .map(|(x, l)| format!("{} {} {} {}\n", x[0], x[1], x[2], l))
            .collect();
        let mut r = AmatReader::new(text.as_bytes(), "p.amat");
        let mut row = Vec::new();
        for (x, l) in &rows {
            prop_assert_eq!(r.next_row(&mut row).unwrap(), Some(*l));
            prop_assert_eq!(&row, x); // Rust's shortest round-trip formatting parses back exactly
        }
        prop_assert_eq!(r.next_row(&mut row).unwrap(), None);
    }

    #[test]
    fn header_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_idx_header(&bytes);
        let _ = parse_idx(&bytes, std::path::Path::new("p"));
        let _ = parse_npy_header(&bytes);
        let mut with_magic = NPY_MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = parse_npy_header(&with_magic);
        let mut row = Vec::new();
        let mut r = AmatReader::new(&bytes[..], "p.amat");
        while let Ok(Some(_)) = r.next_row(&mut row) {}
    }
}
