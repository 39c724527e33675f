//! The detector of `potential detect fit`: scalers, fitting, the stored threshold, the file format,
//! and its errors.

use potential_data::Features;
use potential_models::novelty;
use potential_train::detector::{
    probit, Combine, Detector, DetectorConfig, DetectorError, Scaler, ScalerKind,
};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::ControlFlow;

/// `n` rows of a 4-D Gaussian blob with one constant column, seeded.
fn blob(n: usize, seed: u64) -> Features {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n * 4);
    for _ in 0..n {
        let a: f32 = rng.random::<f32>() - 0.5;
        let b: f32 = rng.random::<f32>() - 0.5;
        v.extend_from_slice(&[a, b, a + 0.1 * b, 3.0]);
    }
    Features::from_vec(v, n, 4).unwrap()
}

fn quick() -> DetectorConfig {
    DetectorConfig { epochs: Some(20), ..DetectorConfig::default() }
}

fn fit(x: &Features, cfg: &DetectorConfig) -> Result<Detector, DetectorError> {
    Detector::fit(x, cfg, &mut |_, _| ControlFlow::Continue(()))
}

#[test]
fn far_rows_score_higher_and_the_threshold_is_pyods_on_the_training_rows() {
    let x = blob(400, 1);
    let det = fit(&x, &quick()).unwrap();
    assert_eq!(det.members().len(), 3);
    let train = det.outlier_scores(x.as_slice()).unwrap();
    let t = novelty::contamination_threshold(&train, 0.1).unwrap();
    assert_eq!(det.threshold(), t);
    let flagged = train.iter().filter(|&&s| s > t).count();
    assert_eq!(flagged, 40 - 1 + 1 - usize::from(train.iter().filter(|&&s| s == t).count() > 1));
    // A row far outside the blob (and off the a–c line) is stranger than the blob's centre.
    let s = det.outlier_scores(&[0.0, 0.0, 0.0, 3.0, 2.0, -2.0, 2.0, 3.0]).unwrap();
    assert!(s[1] > s[0] && s[1] > t, "{s:?} vs threshold {t}");
    assert_eq!(det.predict(&[2.0, -2.0, 2.0, 3.0]).unwrap(), [true]);
}

#[test]
fn same_seed_same_bytes_and_the_file_round_trips() {
    let x = blob(200, 2);
    let a = fit(&x, &quick()).unwrap();
    let b = fit(&x, &quick()).unwrap();
    assert_eq!(a.to_safetensors_bytes(), b.to_safetensors_bytes());
    let c = fit(&x, &DetectorConfig { seed: 1, ..quick() }).unwrap();
    assert_ne!(a.to_safetensors_bytes(), c.to_safetensors_bytes());
    let back = Detector::from_safetensors_bytes(&a.to_safetensors_bytes()).unwrap();
    assert_eq!(back, a);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.safetensors");
    a.save(&p).unwrap();
    let loaded = Detector::load(&p).unwrap();
    assert_eq!(loaded.outlier_scores(x.as_slice()).unwrap(), a.outlier_scores(x.as_slice()).unwrap());
}

#[test]
fn constant_columns_and_every_scaler_stay_finite() {
    for kind in [ScalerKind::MinMax, ScalerKind::Standard, ScalerKind::Quantile] {
        let x = blob(50, 3);
        let s = Scaler::fit(kind, x.as_slice(), 50, 4);
        let t = s.transform(x.as_slice());
        assert!(t.iter().all(|v| v.is_finite()), "{kind:?}");
        // The constant column (index 3) is shifted, never divided by zero.
        assert!(t.chunks(4).all(|r| r[3].abs() < 1e-6 || kind == ScalerKind::Quantile), "{kind:?}");
        let far = s.transform(&[1e30, -1e30, 0.0, 3.0]);
        assert!(far.iter().all(|v| v.is_finite()), "{kind:?}: {far:?}");
    }
}

#[test]
fn min_max_and_standard_scalers_are_what_they_say() {
    let x = [1.0f32, 10.0, 3.0, 10.0, 5.0, 10.0];
    let mm = Scaler::fit(ScalerKind::MinMax, &x, 3, 2).transform(&x);
    assert_eq!(mm, [0.0, 0.0, 0.5, 0.0, 1.0, 0.0]);
    let sd = Scaler::fit(ScalerKind::Standard, &x, 3, 2).transform(&x);
    let s = (8.0f64 / 3.0).sqrt();
    for (got, want) in sd.iter().zip([-2.0 / s, 0.0, 0.0, 0.0, 2.0 / s, 0.0]) {
        assert!((*got as f64 - want).abs() < 1e-6, "{sd:?}");
    }
}

/// Values computed with scikit-learn 1.9.1 (printed to 8 decimals; the tie at 1 maps to the middle of
/// its probability range, as scikit-learn's mean of the forward and backward interpolation does):
/// `QuantileTransformer(output_distribution="normal", n_quantiles=5).fit(x).transform(t)` for the
/// column x = [0, 1, 1, 2, 10] and t = [-1, 0, 0.5, 1, 1.5, 2, 6, 10, 11].
#[test]
fn the_quantile_scaler_matches_scikit_learn() {
    let x = [0.0f32, 1.0, 1.0, 2.0, 10.0];
    let s = Scaler::fit(ScalerKind::Quantile, &x, 5, 1);
    let got = s.transform(&[-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 6.0, 10.0, 11.0]);
    let want = [
        -5.19933758,
        -5.19933758,
        -1.15034938,
        -0.31863936,
        0.31863936,
        0.67448975,
        1.15034938,
        5.19933758,
        5.19933758,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-5, "{got:?}");
    }
}

/// Reference values from scipy.stats.norm.ppf.
#[test]
fn probit_is_the_normal_quantile() {
    for (p, z) in [
        (0.5, 0.0),
        (0.975, 1.959963984540054),
        (0.025, -1.959963984540054),
        (1e-7, -5.1993375821928165),
        (0.8413447460685429, 1.0),
        (1e-300, -37.0470962993612),
    ] {
        assert!((probit(p) - z).abs() < 1e-9 * z.abs().max(1.0), "probit({p}) = {} not {z}", probit(p));
    }
}

#[test]
fn bad_input_is_a_typed_error_naming_row_and_column() {
    let mut v = blob(100, 4).into_vec();
    v[37 * 4 + 2] = f32::NAN;
    let x = Features::from_vec(v, 100, 4).unwrap();
    match fit(&x, &quick()) {
        Err(DetectorError::NonFinite { row: 37, column: 2, .. }) => {}
        other => panic!("{other:?}"),
    }
    let few = blob(5, 5);
    assert!(matches!(fit(&few, &quick()), Err(DetectorError::TooFewRows { found: 5, needed: 8 })));
    let det = fit(&blob(100, 6), &quick()).unwrap();
    assert!(matches!(det.outlier_scores(&[0.0; 7]), Err(DetectorError::Width { expected: 4, found: 7 })));
    match det.outlier_scores(&[0.0, 0.0, 0.0, 0.0, 0.0, f32::INFINITY, 0.0, 0.0]) {
        Err(DetectorError::NonFinite { row: 1, column: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    for (cfg, field) in [
        (DetectorConfig { contamination: 0.7, ..quick() }, "contamination"),
        (DetectorConfig { hidden: Some(0), ..quick() }, "hidden"),
        (DetectorConfig { views: Some(vec![]), ..quick() }, "views"),
        (DetectorConfig { learning_rate: f32::NAN, ..quick() }, "learning_rate"),
    ] {
        match fit(&blob(50, 7), &cfg) {
            Err(DetectorError::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// A detector file with `key` in its header replaced by `with` (same length keeps offsets valid).
fn edit_header(bytes: &[u8], key: &str, with: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert!(header.contains(key), "{key} not in header");
    let mut h = header.replacen(key, with, 1);
    while h.len() < n {
        h.push(' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn malformed_detector_files_say_what_is_wrong() {
    let det = fit(&blob(60, 8), &quick()).unwrap();
    let good = det.to_safetensors_bytes();
    let cases = [
        ("\"scaler.0.shift\"", "\"scaler.9.shift\"", "scaler.0.shift"),
        ("\"threshold\":\"", "\"threshold\":\"x", "threshold"),
        ("\"format\":\"potential.detector\"", "\"format\":\"potential.detectoX\"", "format"),
        ("\"contamination\":\"0.1\"", "\"contamination\":\"0.9\"", "contamination"),
        ("\"members\":", "\"membxrs\":", "members"),
        ("\"combine\":\"softplus\"", "\"combine\":\"softplux\"", "combine"),
    ];
    for (key, with, says) in cases {
        let bad = edit_header(&good, key, with);
        match Detector::from_safetensors_bytes(&bad) {
            Err(DetectorError::Format(msg)) => assert!(msg.contains(says), "{says}: {msg}"),
            other => panic!("{says}: {other:?}"),
        }
    }
    assert!(matches!(
        Detector::from_safetensors_bytes(&good[..good.len() / 2]),
        Err(DetectorError::Format(_))
    ));
    assert!(matches!(Detector::from_safetensors_bytes(b"garbage"), Err(DetectorError::Format(_))));
    // A file from before `combine` was stored reads as the plain mean.
    let old = edit_header(&good, "\"combine\":\"softplus\"", "\"combinx\":\"softplus\"");
    assert_eq!(Detector::from_safetensors_bytes(&old).unwrap().combine(), Combine::Mean);
}

#[test]
fn explanations_sum_to_the_outlier_score_minus_the_references() {
    let x = blob(300, 9);
    let rows = [0.0f32, 0.0, 0.0, 3.0, 2.0, -2.0, 2.0, 3.0, 0.3, 0.1, 0.9, 3.0];
    for combine in [Combine::Softplus, Combine::Mean] {
        let det = fit(&x, &DetectorConfig { combine, ..quick() }).unwrap();
        assert_eq!(det.combine(), combine);
        let (c, err) = det.explain(&rows, 8).unwrap();
        let s = det.outlier_scores(&rows).unwrap();
        let s0 = det.reference_score().unwrap();
        for i in 0..3 {
            let total: f64 = c[i * 4..(i + 1) * 4].iter().sum();
            let tol = err[i] + 1e-4 * (1.0 + s[i].abs());
            assert!((total - (s[i] - s0)).abs() <= tol, "{combine:?} row {i}: {total} vs {}", s[i] - s0);
        }
        // The far row's strangeness is carried by the features that moved (0, 1, 2), not the
        // constant 3.
        assert!(c[4..7].iter().sum::<f64>() > 0.0);
        // The stored rule survives the file.
        let back = Detector::from_safetensors_bytes(&det.to_safetensors_bytes()).unwrap();
        assert_eq!(back.outlier_scores(&rows).unwrap(), s);
    }
    let recon =
        fit(&x, &DetectorConfig { score: potential_models::NoveltyScore::ReconstructionError, ..quick() })
            .unwrap();
    assert!(matches!(recon.explain(&rows, 8), Err(DetectorError::Config { field: "score", .. })));
}

/// The default epochs: about 5000 updates, at most 500, cut by the compute budget on wide tables.
#[test]
fn default_epochs_follow_the_updates_then_the_budget() {
    use potential_train::detector::{default_epochs, MAX_DEFAULT_EPOCHS, MEMBER_BUDGET};
    // 10000 × 100, 200 hiddens: 100 steps per epoch → 50 epochs; 2e8 per epoch is under budget.
    assert_eq!(default_epochs(10_000, 100, 200, 100, 1), 50);
    // Two stages split the updates: 25 epochs each.
    assert_eq!(default_epochs(10_000, 100, 200, 100, 2), 25);
    // Tiny tables stop at the cap (with two stages, 2500 updates of 10 steps come first).
    assert_eq!(default_epochs(50, 4, 8, 5, 1), MAX_DEFAULT_EPOCHS);
    assert_eq!(default_epochs(50, 4, 8, 5, 2), 250);
    // One-class MNIST (4932 × 784, 512 hiddens): the budget allows ⌊1.2e10 / 1.98e9⌋ = 6 epochs,
    // ⌊0.6e10 / 1.98e9⌋ = 3 per stage with two.
    let work = 4932.0 * 512.0 * 784.0;
    assert_eq!(default_epochs(4932, 784, 512, 100, 1), (MEMBER_BUDGET / work).floor() as usize);
    assert_eq!(default_epochs(4932, 784, 512, 100, 1), 6);
    assert_eq!(default_epochs(4932, 784, 512, 100, 2), 3);
    // A table past the budget for even one epoch still trains one per stage.
    assert_eq!(default_epochs(1_000_000, 10_000, 512, 100, 1), 1);
    assert_eq!(default_epochs(1_000_000, 10_000, 512, 100, 2), 1);
    // The resolved config applies it.
    let wide =
        Features::from_vec((0..2000usize * 784).map(|i| ((i * 7919) % 255) as f32).collect(), 2000, 784)
            .unwrap();
    let r = DetectorConfig::default().resolve(&wide).unwrap();
    assert_eq!((r.hidden, r.epochs), (512, 7)); // per stage; 14 with one
}

/// Mode-dominated tables (more than half of the columns mostly one value) get the min-max view alone; others the
/// three default views; explicit views are kept.
#[test]
fn mode_dominated_tables_get_the_min_max_view() {
    use potential_train::detector::{mode_dominated, View, DEFAULT_VIEWS, MODE_DOMINATED_VIEWS, MODE_SHARE};
    assert_eq!(MODE_SHARE, 0.5);
    // 4 rows × 3 columns: column 0 is 0 in 2 of 4 rows (share 0.5: dominated), column 1 in 3
    // of 4, column 2 has four distinct values → 2 of 3 dominated.
    let x = [0.0, 1.0, 1.0, 0.0, 1.0, 2.0, 5.0, 1.0, 3.0, 6.0, 2.0, 4.0];
    assert!(mode_dominated(&x, 3));
    // Column 0 at share 1/4 instead: 1 of 3 dominated.
    let y = [0.0, 1.0, 1.0, 7.0, 1.0, 2.0, 5.0, 1.0, 3.0, 6.0, 2.0, 4.0];
    assert!(!mode_dominated(&y, 3));
    // Half of the columns is not enough (2 of 4), more than half is (3 of 4).
    let z = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0, 2.0, 1.0, 1.0, 3.0, 3.0];
    assert!(!mode_dominated(&z, 4));
    let z = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 1.0, 1.0, 1.0, 3.0];
    assert!(mode_dominated(&z, 4));
    assert!(!mode_dominated(&[], 3));
    // -0.0 and 0.0 are one value (total_cmp sorts them side by side, == groups them).
    assert!(mode_dominated(&[0.0, 1.0, -0.0, 2.0], 1));

    let dense = blob(100, 4);
    assert_eq!(DetectorConfig::default().resolve(&dense).unwrap().views, DEFAULT_VIEWS.to_vec());
    let mut sparse = vec![0.0f32; 100 * 4];
    for i in 0..100 {
        sparse[i * 4 + i % 4] = 1.0 + i as f32;
    }
    let sparse = Features::from_vec(sparse, 100, 4).unwrap();
    let r = DetectorConfig::default().resolve(&sparse).unwrap();
    assert_eq!(r.views, MODE_DOMINATED_VIEWS.to_vec());
    assert_eq!((r.trim, r.stages()), (0.0, 1), "a mode-dominated table keeps one stage");
    let own = vec![View { scaler: ScalerKind::Standard, noise: 0.3 }];
    let cfg = DetectorConfig { views: Some(own.clone()), ..DetectorConfig::default() };
    assert_eq!(cfg.resolve(&sparse).unwrap().views, own);
    let det = fit(&sparse, &quick()).unwrap();
    assert_eq!(det.members().len(), 1);
    assert_eq!(det.scalers()[0].kind(), ScalerKind::MinMax);
}

/// The softplus link: stable at ±1000, its secant slope between two points is the difference
/// quotient, and at one point the derivative (the logistic function), checked by central
/// differences; the mean link is the identity.
#[test]
fn combine_links_and_their_secants() {
    let g = |z| Combine::Softplus.link(z);
    assert_eq!(g(1000.0), 1000.0);
    assert_eq!(g(-1000.0), 0.0);
    assert!((g(0.0) - std::f64::consts::LN_2).abs() < 1e-15);
    for &(z, z0) in &[(2.0, -1.0), (-3.0, 0.5), (10.0, 9.0), (0.3, 0.3), (-5.0, -5.0 + 1e-9)] {
        let s = Combine::Softplus.secant(z, z0);
        if z == z0 || (z - z0).abs() < 1e-6 {
            let h = 1e-5;
            let fd = (g(z + h) - g(z - h)) / (2.0 * h);
            assert!((s - fd).abs() < 1e-8, "{z}: {s} vs {fd}");
        } else {
            assert!((s - (g(z) - g(z0)) / (z - z0)).abs() < 1e-12);
        }
        assert!(s > 0.0 && s < 1.0);
        assert_eq!(Combine::Mean.secant(z, z0), 1.0);
        assert_eq!(Combine::Mean.link(z), z);
    }
    for c in [Combine::Softplus, Combine::Mean] {
        assert_eq!(Combine::from_name(c.name()), Some(c));
    }
    assert_eq!(Combine::from_name("max"), None);
}

/// 64-bit FNV-1a of `b`: pins a seeded run's file without storing it.
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| (h ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A short seeded fit (two members per view, every default view) is pinned on the AVX2+FMA path
/// (where it is the same for any thread count), and fitting its members one at a time
/// ([`Detector::fit_member`], as a distributed fit does) and assembling them
/// ([`Detector::from_members`]) gives the same file byte for byte.
#[test]
fn a_seeded_fit_is_pinned_and_equals_its_members_fitted_one_by_one() {
    let x = blob(120, 5);
    // One stage: the bits of detectors fitted before two stages existed.
    let cfg = DetectorConfig {
        epochs: Some(3),
        members_per_view: 2,
        seed: 11,
        trim: Some(0.0),
        ..DetectorConfig::default()
    };
    let det = fit(&x, &cfg).unwrap();
    let bytes = det.to_safetensors_bytes();
    eprintln!("pinned detector hash {:#018x}", fnv1a(&bytes));
    if potential_kernels::simd_path() == potential_kernels::SimdPath::Avx2Fma {
        assert_eq!(fnv1a(&bytes), 0x933c_ee98_2c20_6e56, "the bits of a seeded detector fit moved");
    } else {
        assert_eq!(fit(&x, &cfg).unwrap().to_safetensors_bytes(), bytes, "two seeded fits differ");
    }
    let r = cfg.resolve(&x).unwrap();
    assert_eq!(r.members(), 6);
    let members: Vec<_> = (0..r.members())
        .map(|i| Detector::fit_member(&x, &r, i, &mut |_| ControlFlow::Continue(())).unwrap())
        .collect();
    assert_eq!(members, det.members());
    let joined = Detector::from_members(&x, &r, members.clone()).unwrap();
    assert_eq!(joined.to_safetensors_bytes(), bytes);
    // Members out of order, missing, or of another run are refused; so is an index out of range.
    let mut swapped = members.clone();
    swapped.swap(0, 1);
    assert!(matches!(Detector::from_members(&x, &r, swapped), Err(DetectorError::Config { .. })));
    assert!(matches!(
        Detector::from_members(&x, &r, members[..5].to_vec()),
        Err(DetectorError::Config { .. })
    ));
    let other = DetectorConfig { seed: 12, ..cfg.clone() }.resolve(&x).unwrap();
    let e = Detector::from_members(&x, &other, members).unwrap_err();
    assert!(e.to_string().contains("member 0"), "{e}");
    let e = Detector::fit_member(&x, &r, 6, &mut |_| ControlFlow::Continue(())).unwrap_err();
    assert!(e.to_string().contains("6 members"), "{e}");
    // Breaking the observer interrupts the member.
    let e = Detector::fit_member(&x, &r, 0, &mut |_| ControlFlow::Break(())).unwrap_err();
    assert!(matches!(e, DetectorError::Interrupted), "{e}");
}

/// The two-stage fit (the default): pinned on the AVX2+FMA path, and equal byte for byte to its
/// pieces done one by one as a distributed fit does them — first-stage members on all rows, the
/// rows the first detector keeps, second-stage members on those, the threshold on all rows.
#[test]
fn a_two_stage_fit_is_pinned_and_equals_its_stages_done_one_by_one() {
    let x = blob(120, 5);
    let cfg = DetectorConfig { epochs: Some(3), seed: 11, ..DetectorConfig::default() };
    let det = fit(&x, &cfg).unwrap();
    let bytes = det.to_safetensors_bytes();
    eprintln!("pinned two-stage detector hash {:#018x}", fnv1a(&bytes));
    if potential_kernels::simd_path() == potential_kernels::SimdPath::Avx2Fma {
        assert_eq!(fnv1a(&bytes), 0x85a2_bd67_0c94_e2b5, "the bits of a seeded two-stage detector fit moved");
    }
    let r = cfg.resolve(&x).unwrap();
    assert_eq!(
        (r.trim, r.stages(), r.stage_rows(120)),
        (potential_train::detector::DEFAULT_TRIM, 2, vec![120, 108])
    );
    let members = |rows: &Features| -> Vec<_> {
        (0..r.members())
            .map(|i| Detector::fit_member(rows, &r, i, &mut |_| ControlFlow::Continue(())).unwrap())
            .collect()
    };
    let first = Detector::from_members(&x, &r, members(&x)).unwrap();
    let kept = first.trimmed_rows(&x, r.trim).unwrap();
    assert_eq!((kept.n(), kept.d()), (108, x.d()));
    let mut joined = Detector::from_members(&kept, &r, members(&kept)).unwrap();
    joined.fit_threshold(&x).unwrap();
    assert_eq!(joined.to_safetensors_bytes(), bytes);
    // The threshold flags the contamination's share of *all* the training rows.
    let flagged = det.predict(x.as_slice()).unwrap().iter().filter(|&&f| f).count();
    assert!((10..=14).contains(&flagged), "{flagged} of 120 flagged");
    let p: serde_json::Value = serde_json::from_str(det.provenance()).unwrap();
    assert_eq!(
        (p["rows"].as_u64(), p["threshold_rows"].as_u64(), p["trim"].as_f64()),
        (Some(108), Some(120), Some(0.1))
    );
}

/// The rows a first stage keeps are exactly the rows of lowest outlier score, in their order,
/// ⌊trim · n⌋ set aside, never fewer than MIN_ROWS left; a trim outside [0, 0.5) is refused.
#[test]
fn trimmed_rows_drop_the_highest_scores() {
    use potential_train::detector::{set_aside, MIN_ROWS};
    let x = blob(97, 3);
    let det =
        fit(&x, &DetectorConfig { epochs: Some(5), trim: Some(0.0), ..DetectorConfig::default() }).unwrap();
    let scores = det.outlier_scores(x.as_slice()).unwrap();
    for trim in [0.0, 0.05, 0.1, 0.3, 0.49] {
        let kept = det.trimmed_rows(&x, trim).unwrap();
        let drop = (trim * 97.0).floor() as usize;
        assert_eq!(set_aside(97, trim), drop);
        assert_eq!(kept.n(), 97 - drop, "trim {trim}");
        let mut sorted = scores.clone();
        sorted.sort_by(f64::total_cmp);
        let cut = if drop == 0 { f64::INFINITY } else { sorted[97 - drop] };
        let expect: Vec<f32> = x
            .iter_rows()
            .zip(&scores)
            .filter(|(_, &s)| s < cut)
            .flat_map(|(row, _)| row.iter().copied())
            .collect();
        assert_eq!(
            kept.as_slice(),
            &expect[..],
            "trim {trim}: the kept rows are the lowest-scoring, in order"
        );
    }
    assert_eq!(set_aside(10, 0.49), 10 - MIN_ROWS);
    for bad in [-0.1, 0.5, f64::NAN] {
        assert!(matches!(det.trimmed_rows(&x, bad), Err(DetectorError::Config { field: "trim", .. })));
        let e = DetectorConfig { trim: Some(bad), ..DetectorConfig::default() }.validate().unwrap_err();
        assert!(e.to_string().contains("trim"), "{e}");
    }
}
