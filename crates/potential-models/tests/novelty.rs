//! Novelty detection (`potential_models::novelty`): ROC AUC against its pairwise definition, the
//! PyOD/numpy contamination threshold and how many rows it flags, metrics on hand-computed cases,
//! the sign convention of the energy score, and the typed errors.

use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::novelty::{
    self, contamination_threshold, flag, roc_auc, Confusion, NoveltyError, NoveltyScore, Threshold,
};
use potential_models::{Output, Score, TiedAutoencoder};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn runner(cases: u32) -> TestRunner {
    // Seeded: every CI run draws the same cases.
    let rng =
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[7; 32]);
    TestRunner::new_with_rng(Config { cases, failure_persistence: None, ..Config::default() }, rng)
}

/// The O(n²) definition: P(outlier score > normal score) + ½ P(equal), over all pairs.
fn pairwise_auc(s: &[f64], y: &[bool]) -> f64 {
    let (mut twice_u, mut pairs) = (0u64, 0u64);
    for i in (0..s.len()).filter(|&i| y[i]) {
        for j in (0..s.len()).filter(|&j| !y[j]) {
            pairs += 1;
            twice_u += if s[i] > s[j] {
                2
            } else if s[i] == s[j] {
                1
            } else {
                0
            };
        }
    }
    twice_u as f64 / (2 * pairs) as f64
}

/// Scores drawn from few levels (many ties) or spread out, with both classes present.
fn scores_and_labels() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    (2usize..80, any::<bool>()).prop_flat_map(|(n, few_levels)| {
        let s = if few_levels {
            prop::collection::vec((-3i32..4).prop_map(|k| k as f64 * 0.5), n).boxed()
        } else {
            prop::collection::vec(-1e3f64..1e3, n).boxed()
        };
        (s, prop::collection::vec(any::<bool>(), n))
            .prop_filter("both classes", |(_, y)| y.iter().any(|&b| b) && y.iter().any(|&b| !b))
    })
}

#[test]
fn auc_equals_the_pairwise_definition_including_ties() {
    runner(256)
        .run(&scores_and_labels(), |(s, y)| {
            let auc = roc_auc(&s, &y).unwrap();
            // Both are 2U / (2 n₊ n₋) with the same integers: bit-identical.
            prop_assert_eq!(auc, pairwise_auc(&s, &y));
            prop_assert!((0.0..=1.0).contains(&auc));
            Ok(())
        })
        .unwrap();
}

#[test]
fn auc_of_negated_scores_is_one_minus_auc() {
    runner(256)
        .run(&scores_and_labels(), |(s, y)| {
            let neg: Vec<f64> = s.iter().map(|v| -v).collect();
            let (a, b) = (roc_auc(&s, &y).unwrap(), roc_auc(&neg, &y).unwrap());
            prop_assert!((a + b - 1.0).abs() <= 1e-12, "AUC {a} and AUC(−s) {b}");
            // Swapping the classes is the same as negating the scores.
            let flipped: Vec<bool> = y.iter().map(|v| !v).collect();
            prop_assert!((roc_auc(&s, &flipped).unwrap() - b).abs() <= 1e-12);
            Ok(())
        })
        .unwrap();
}

#[test]
fn auc_is_rank_based() {
    // Invariant under a strictly increasing map and under a permutation of the rows.
    runner(128)
        .run(&(scores_and_labels(), any::<u64>()), |((s, y), seed)| {
            let a = roc_auc(&s, &y).unwrap();
            let mapped: Vec<f64> = s.iter().map(|v| (v / 100.0).exp() * 3.0 - 7.0).collect();
            // exp may merge scores that differ by less than its rounding; only distinct scores
            // must keep the AUC exactly.
            let mut sorted = s.clone();
            sorted.sort_by(f64::total_cmp);
            let distinct_kept = sorted
                .windows(2)
                .all(|w| w[0] == w[1] || (w[0] / 100.0).exp() * 3.0 - 7.0 < (w[1] / 100.0).exp() * 3.0 - 7.0);
            if distinct_kept {
                prop_assert_eq!(roc_auc(&mapped, &y).unwrap(), a);
            }
            let n = s.len();
            let mut perm: Vec<usize> = (0..n).collect();
            let mut state = seed | 1;
            for i in (1..n).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                perm.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let ps: Vec<f64> = perm.iter().map(|&i| s[i]).collect();
            let py: Vec<bool> = perm.iter().map(|&i| y[i]).collect();
            prop_assert_eq!(roc_auc(&ps, &py).unwrap(), a);
            Ok(())
        })
        .unwrap();
}

#[test]
fn auc_hand_cases() {
    // scikit-learn's documented example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75.
    assert_eq!(roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap(), 0.75);
    // Perfect and reversed ranking.
    assert_eq!(roc_auc(&[1.0, 2.0, 3.0], &[false, true, true]).unwrap(), 1.0);
    assert_eq!(roc_auc(&[1.0, 2.0, 3.0], &[true, false, false]).unwrap(), 0.0);
    // All scores tied: ½.
    assert_eq!(roc_auc(&[5.0; 4], &[true, false, true, false]).unwrap(), 0.5);
    // One tie between an outlier and a normal row: pairs (o=2 vs n=1) win, (o=2 vs n=2) ½,
    // (o=0 vs n=1), (o=0 vs n=2) lose → (1 + ½)/4.
    assert_eq!(roc_auc(&[2.0, 1.0, 2.0, 0.0], &[true, false, false, true]).unwrap(), 0.375);
    // −0.0 and +0.0 are the same score (a tie).
    assert_eq!(roc_auc(&[-0.0, 0.0], &[true, false]).unwrap(), 0.5);
}

/// Reference threshold written straight from numpy's `percentile(a, 100 * (1 - c))`, linear.
fn numpy_percentile(scores: &[f64], c: f64) -> f64 {
    let mut s = scores.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = (100.0 * (1.0 - c)) / 100.0;
    let v = (s.len() - 1) as f64 * q;
    if v >= (s.len() - 1) as f64 {
        return s[s.len() - 1];
    }
    let k = v.floor() as usize;
    let (a, b, t) = (s[k], s[k + 1], v - k as f64);
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

#[test]
fn contamination_threshold_matches_numpy_values() {
    // Printed by numpy 2.4: np.percentile(np.arange(n, dtype=float), 100 * (1 - c)) and the count
    // of values strictly above it.
    for (n, c, t, above) in [
        (1usize, 0.1, 0.0, 0usize),
        (2, 0.1, 0.9, 1),
        (10, 0.1, 8.1, 1),
        (11, 0.1, 9.0, 1),
        (100, 0.1, 89.10000000000001, 10),
        (1000, 0.1, 899.1, 100),
        (1429, 0.3, 999.5999999999999, 429),
        (10, 0.3, 6.3, 3),
        (11, 0.3, 7.0, 3),
        (1000, 0.3, 699.3, 300),
        (10, 0.05, 8.549999999999999, 1),
        (100, 0.05, 94.05, 5),
        (10, 0.5, 4.5, 5),
        (11, 0.5, 5.0, 5),
    ] {
        let s: Vec<f64> = (0..n).rev().map(|i| i as f64).collect(); // order does not matter
        let got = contamination_threshold(&s, c).unwrap();
        assert_eq!(got, t, "n={n} c={c}");
        let d = novelty::detect(&s, Threshold::Contamination(c)).unwrap();
        assert_eq!((d.threshold, d.flagged), (t, above), "n={n} c={c}");
    }
    // Where numpy's two interpolation formulas (from below for t < ½, from above for t ≥ ½) round
    // differently, the threshold follows numpy's choice to the last bit (printed by numpy 2.4.6:
    // the other formula gives 0.66975 and 1.487).
    for (s, c, t) in [
        (&[0.009, 0.89][..], 0.25, 0.6697500000000001),
        (&[0.212, 1.149, 1.994][..], 0.3, 1.4869999999999999),
    ] {
        assert_eq!(contamination_threshold(s, c).unwrap(), t, "{s:?} c={c}");
    }
}

#[test]
fn contamination_flags_n_minus_1_minus_k_rows() {
    // k = ⌊(1 − c)(n − 1)⌋ as numpy computes it. Distinct scores: exactly n − 1 − k rows flagged;
    // with ties: never more, and exactly #{s > s₍ₖ₎} when s₍ₖ₎ = s₍ₖ₊₁₎.
    let strat = (1usize..300, 1u32..=500, any::<bool>(), any::<u64>());
    runner(256)
        .run(&strat, |(n, c_milli, ties, seed)| {
            let c = c_milli as f64 / 1000.0; // (0, 0.5]
            let mut state = seed | 1;
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let s: Vec<f64> = if ties {
                (0..n).map(|_| (next() % 7) as f64 - 3.0).collect()
            } else {
                // Distinct multiples of 0.25 in shuffled order (gaps far above rounding).
                let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - 10.0).collect();
                for i in (1..n).rev() {
                    v.swap(i, (next() % (i as u64 + 1)) as usize);
                }
                v
            };
            let t = contamination_threshold(&s, c).unwrap();
            prop_assert_eq!(t, numpy_percentile(&s, c));
            let flagged = flag(&s, t).unwrap().iter().filter(|&&f| f).count();
            let k = ((n - 1) as f64 * ((100.0 * (1.0 - c)) / 100.0)).floor() as usize;
            let bound = n - 1 - k.min(n - 1);
            let mut sorted = s.clone();
            sorted.sort_by(f64::total_cmp);
            if k + 1 < n && sorted[k] < sorted[k + 1] {
                prop_assert_eq!(flagged, bound, "n={} c={} k={}", n, c, k);
            } else {
                prop_assert!(flagged <= bound);
                prop_assert_eq!(flagged, s.iter().filter(|&&v| v > sorted[k.min(n - 1)]).count());
            }
            if !ties {
                // = ⌈c(n − 1)⌉ away from rounding boundaries of the product.
                let x = c * (n - 1) as f64;
                if (x - x.round()).abs() > 1e-9 {
                    prop_assert_eq!(flagged, x.ceil() as usize);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn threshold_ties_are_not_flagged() {
    // Scores 0,1,2,3,3,3: numpy.percentile(…, 70) = 3 (v = 3.5 between two 3s), and the rows equal
    // to it are not flagged: nothing is, although 30% was asked for.
    let s = [0.0, 1.0, 2.0, 3.0, 3.0, 3.0];
    let d = novelty::detect(&s, Threshold::Contamination(0.3)).unwrap();
    assert_eq!(d.threshold, 3.0);
    assert_eq!(d.flagged, 0);
    // An explicit threshold flags strictly above it.
    let d = novelty::detect(&s, Threshold::Explicit(2.0)).unwrap();
    assert_eq!(d.flags, [false, false, false, true, true, true]);
    assert_eq!(novelty::detect(&s, Threshold::Explicit(f64::INFINITY)).unwrap().flagged, 0);
    assert_eq!(novelty::detect(&s, Threshold::Explicit(f64::NEG_INFINITY)).unwrap().flagged, 6);
}

#[test]
fn metrics_hand_cases() {
    // flags   T T F F T F
    // outlier T F T F T T   → tp 2 (rows 0, 4), fp 1 (row 1), tn 1 (row 3), fn 2 (rows 2, 5)
    let flags = [true, true, false, false, true, false];
    let y = [true, false, true, false, true, true];
    let c = Confusion::new(&flags, &y).unwrap();
    assert_eq!(c, Confusion { true_positives: 2, false_positives: 1, true_negatives: 1, false_negatives: 2 });
    assert_eq!(c.precision(), 2.0 / 3.0);
    assert_eq!(c.recall(), 0.5);
    // F1 = 2PR/(P + R) = 2·(2/3)(1/2)/(7/6) = 4/7 = 2tp/(2tp + fp + fn) = 4/7.
    assert_eq!(c.f1(), 4.0 / 7.0);
    let hm = 2.0 * c.precision() * c.recall() / (c.precision() + c.recall());
    assert!((c.f1() - hm).abs() < 1e-15);
    // Nothing flagged: precision 0 (zero_division = 0), recall 0, F1 0.
    let c = Confusion::new(&[false; 3], &[true, false, false]).unwrap();
    assert_eq!((c.precision(), c.recall(), c.f1()), (0.0, 0.0, 0.0));
    // Everything flagged: precision = outlier fraction, recall 1.
    let c = Confusion::new(&[true; 4], &[true, false, false, false]).unwrap();
    assert_eq!((c.precision(), c.recall(), c.f1()), (0.25, 1.0, 0.4));

    // evaluate() bundles the same numbers.
    let scores = [0.9, 0.8, 0.1, 0.2, 0.7, 0.3];
    let e = novelty::evaluate(&scores, &flags, &y).unwrap();
    assert_eq!((e.n, e.outliers, e.flagged), (6, 4, 3));
    assert_eq!((e.precision, e.recall, e.f1), (2.0 / 3.0, 0.5, 4.0 / 7.0));
    // Outliers 0.9, 0.1, 0.7, 0.3 vs normal 0.8, 0.2: wins 0.9>0.8, 0.9>0.2, 0.7>0.2, 0.3>0.2 → 4/8.
    assert_eq!(e.roc_auc, 0.5);
    assert_eq!(novelty::outliers_from_labels(&[3, 1, 3, 7], 3), [false, true, false, true]);
}

#[test]
fn typed_errors() {
    let s = [1.0, 2.0, 3.0];
    for c in [0.0, -0.1, 0.5000001, 0.6, 1.0, f64::NAN, f64::INFINITY] {
        let e = contamination_threshold(&s, c).unwrap_err();
        assert!(matches!(e, NoveltyError::Contamination { .. }), "{c}: {e}");
        assert!(e.to_string().contains("(0, 0.5]"), "{e}");
    }
    assert!(contamination_threshold(&s, 0.5).is_ok());
    assert!(matches!(contamination_threshold(&[], 0.1), Err(NoveltyError::Empty)));
    let e = contamination_threshold(&[1.0, f64::NAN, 2.0], 0.1).unwrap_err();
    assert!(matches!(e, NoveltyError::NonFiniteScore { index: 1, .. }), "{e}");
    assert!(e.to_string().contains("row 1") && e.to_string().contains("NaN"), "{e}");
    assert!(matches!(flag(&[1.0, f64::INFINITY], 0.0), Err(NoveltyError::NonFiniteScore { index: 1, .. })));
    assert!(matches!(flag(&s, f64::NAN), Err(NoveltyError::NanThreshold)));
    assert!(matches!(roc_auc(&[f64::NAN, 1.0], &[true, false]), Err(NoveltyError::NonFiniteScore { .. })));
    let e = roc_auc(&s, &[true, false]).unwrap_err();
    assert!(matches!(e, NoveltyError::LengthMismatch { expected: 3, found: 2, .. }), "{e}");
    let e = roc_auc(&s, &[false; 3]).unwrap_err();
    assert!(matches!(e, NoveltyError::SingleClass { n: 3, outliers: false }), "{e}");
    assert!(e.to_string().contains("all 3 rows are normal"), "{e}");
    let e = roc_auc(&s, &[true; 3]).unwrap_err();
    assert!(e.to_string().contains("all 3 rows are outliers"), "{e}");
    assert!(matches!(Confusion::new(&[true], &[true, false]), Err(NoveltyError::LengthMismatch { .. })));
    let e = novelty::evaluate(&s, &[true], &[true, false, true]).unwrap_err();
    assert!(matches!(e, NoveltyError::LengthMismatch { what: "flags", .. }), "{e}");
    let e = "laplacian".parse::<NoveltyScore>().unwrap_err();
    assert!(e.to_string().contains("energy or reconstruction-error"), "{e}");
    assert_eq!("reconstruction-error".parse::<NoveltyScore>().unwrap(), NoveltyScore::ReconstructionError);
}

fn model(seed: u64, d: usize, h: usize, act: ActivationKind, out: Output) -> TiedAutoencoder {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut u = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
    };
    let w = (0..h * d).map(|_| u()).collect();
    let bh = (0..h).map(|_| u()).collect();
    let br = (0..d).map(|_| u()).collect();
    TiedAutoencoder::new(w, bh, br, act, out).unwrap()
}

#[test]
fn outlier_scores_follow_the_sign_convention() {
    let (n, d) = (23, 7);
    let x: Vec<f32> = (0..n * d).map(|i| ((i * 37 % 101) as f32 / 101.0) * 0.9 + 0.05).collect();
    let xm = MatRef::from_row_major(&x, n, d);
    for (i, (act, out)) in [
        (ActivationKind::Sigmoid, Output::Real),
        (ActivationKind::Relu, Output::Real),
        (ActivationKind::Tanh, Output::Binary),
    ]
    .into_iter()
    .enumerate()
    {
        let m = model(i as u64 + 1, d, 5, act, out);
        let e = m.score_batch(xm, Score::Energy).unwrap();
        let r = m.score_batch(xm, Score::ReconstructionError).unwrap();
        let oe = novelty::outlier_scores(&m, xm, NoveltyScore::Energy).unwrap();
        let or = novelty::outlier_scores(&m, xm, NoveltyScore::ReconstructionError).unwrap();
        // Higher energy = more typical, so the outlier score is −E; the error is used as is.
        assert!(oe.iter().zip(&e).all(|(o, e)| *o == -*e));
        assert_eq!(or, r);
        assert_eq!(NoveltyScore::Energy.to_outlier_scores(&e), oe);
        // to_outlier maps a threshold both ways: flagging −E > t is flagging E < −t.
        let t = novelty::contamination_threshold(&oe, 0.2).unwrap();
        let f = flag(&oe, t).unwrap();
        let t_energy = NoveltyScore::Energy.to_outlier(t);
        assert!(f.iter().zip(&e).all(|(&f, &e)| f == (e < t_energy)));
        assert_eq!(NoveltyScore::Energy.to_outlier(t_energy), t);
    }
    // A model error (wrong width) comes through as NoveltyError::Model.
    let m = model(9, d + 1, 3, ActivationKind::Sigmoid, Output::Real);
    let e = novelty::outlier_scores(&m, xm, NoveltyScore::Energy).unwrap_err();
    assert!(matches!(e, NoveltyError::Model(_)), "{e}");
}

#[test]
fn energy_separates_off_subspace_points() {
    // Linear autoencoder with the orthonormal filter (1, 0): E(x) = −½ x₂² (Eq. 16). Normal rows lie
    // near the first axis (|x₂| ≤ 0.3), outliers far from it (|x₂| ≥ 1): AUC 1 for both scores
    // (here −E = ½‖r(x) − x‖²), and contamination = the true outlier rate flags exactly them.
    let m =
        TiedAutoencoder::new(vec![1.0, 0.0], vec![0.0], vec![0.0, 0.0], ActivationKind::Linear, Output::Real)
            .unwrap();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..40 {
        let t = i as f32 / 40.0;
        let outlier = i % 5 == 0; // 8 of 40 = 20%
        let off = if outlier { 1.0 + t } else { 0.3 * (t - 0.5) };
        x.extend_from_slice(&[4.0 * t - 2.0, off]);
        y.push(outlier);
    }
    let xm = MatRef::from_row_major(&x, 40, 2);
    for what in NoveltyScore::ALL {
        let s = novelty::outlier_scores(&m, xm, what).unwrap();
        assert_eq!(roc_auc(&s, &y).unwrap(), 1.0, "{what}");
        let d = novelty::detect(&s, Threshold::Contamination(0.2)).unwrap();
        // n − 1 − ⌊0.8 · 39⌋ = 39 − 31 = 8 rows: exactly the outliers.
        assert_eq!(d.flags, y, "{what}");
        let ev = novelty::evaluate(&s, &d.flags, &y).unwrap();
        assert_eq!((ev.precision, ev.recall, ev.f1), (1.0, 1.0, 1.0));
    }
}

/// The ranking metrics from their definitions, O(n²): every distinct score t (highest first) flags
/// the rows scoring ≥ t.
fn brute_points(s: &[f64], y: &[bool]) -> Vec<(f64, f64, f64)> {
    let mut ts: Vec<f64> = s.to_vec();
    ts.sort_by(|a, b| b.partial_cmp(a).unwrap());
    ts.dedup();
    let pos = y.iter().filter(|&&o| o).count() as f64;
    let neg = y.len() as f64 - pos;
    ts.iter()
        .map(|&t| {
            let tp = s.iter().zip(y).filter(|(&v, &o)| v >= t && o).count() as f64;
            let fp = s.iter().zip(y).filter(|(&v, &o)| v >= t && !o).count() as f64;
            (tp / pos, fp / neg, tp / (tp + fp))
        })
        .collect()
}

#[test]
fn ranking_metrics_equal_their_definitions_including_ties() {
    runner(300)
        .run(&scores_and_labels(), |(s, y)| {
            let pos = y.iter().filter(|&&o| o).count();
            if pos == 0 || pos == y.len() {
                return Ok(());
            }
            let pts = brute_points(&s, &y);
            let mut ap = 0.0;
            let mut last = 0.0;
            for &(r, _, p) in &pts {
                ap += (r - last) * p;
                last = r;
            }
            prop_assert!((novelty::average_precision(&s, &y).unwrap() - ap).abs() < 1e-12);
            let fpr = pts.iter().find(|p| p.0 >= 0.95).map(|p| p.1).unwrap();
            prop_assert_eq!(novelty::fpr_at_tpr(&s, &y, 0.95).unwrap(), fpr);
            let t = numpy_percentile(&s, pos as f64 / s.len() as f64);
            let pred: Vec<bool> = s.iter().map(|&v| v > t).collect();
            let tp = pred.iter().zip(&y).filter(|(&p, &o)| p && o).count();
            let np = pred.iter().filter(|&&p| p).count();
            let want = if np == 0 { 0.0 } else { tp as f64 / np as f64 };
            prop_assert_eq!(novelty::precision_at_n(&s, &y).unwrap(), want);
            Ok(())
        })
        .unwrap();
}

/// Values from scikit-learn 1.9.1 (`average_precision_score`, `roc_curve(drop_intermediate=False)`)
/// and PyOD's rule for precision at n, on scores with a three-way tie at 0.4.
#[test]
fn ranking_metrics_hand_case_from_scikit_learn() {
    let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.4, 0.2];
    let y = [false, false, true, true, true, false, true, false];
    assert!((novelty::average_precision(&s, &y).unwrap() - 0.5916666666666667).abs() < 1e-15);
    assert_eq!(novelty::fpr_at_tpr(&s, &y, 0.95).unwrap(), 0.5); // TPR 0.75 at 0.4, 1.0 at 0.35
    assert_eq!(novelty::precision_at_n(&s, &y).unwrap(), 0.5); // threshold 0.4: rows 0.8 and 0.9
    let e = novelty::evaluate(&s, &[false; 8], &y).unwrap();
    assert_eq!((e.fpr_at_95_tpr, e.precision_at_n), (0.5, 0.5));
    assert!(matches!(
        novelty::average_precision(&s, &[false; 8]),
        Err(novelty::NoveltyError::SingleClass { .. })
    ));
}

/// Each score's name (its `Display`, what the CLI and the detector file use), its flag rule on its
/// own scale, and the parse back.
#[test]
fn per_sample_scores_are_named_and_parse_back() {
    use potential_models::Score;
    let names = ["energy", "reconstruction-error", "laplacian", "contraction", "absorbing"];
    for (s, name) in Score::ALL.into_iter().zip(names) {
        assert_eq!(s.to_string(), name);
        assert_eq!(name.parse::<Score>().unwrap(), s);
    }
    assert!("entropy".parse::<Score>().unwrap_err().to_string().contains("unknown score `entropy`"));
}

#[test]
fn novelty_scores_name_their_rule_and_parse_back() {
    let want = [
        (NoveltyScore::Energy, "energy", "energy < threshold"),
        (NoveltyScore::ReconstructionError, "reconstruction-error", "reconstruction-error > threshold"),
    ];
    for (s, name, rule) in want {
        assert_eq!((s.to_string().as_str(), s.rule()), (name, rule));
        assert_eq!(name.parse::<NoveltyScore>().unwrap(), s);
    }
}
