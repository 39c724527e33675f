//! `potential csae train --valid-data X --valid-labels Y`: validation rows from their own file (a
//! Larochelle set's `valid_*.npy`) act exactly as the same rows held out with `--valid-rows`, and
//! files that do not fit the training data fail with a message naming them (and so does an
//! unknown `--lr-schedule`).

use potential_csae::Csae;
use std::path::Path;
use std::process::{Command, Output};

fn potential(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TRAIN: &[&str] = &[
    "--hidden",
    "6",
    "--contractive",
    "0.1",
    "--pretrain-epochs",
    "2",
    "--finetune-epochs",
    "3",
    "--grid-lr",
    "0.03,0.1",
    "--batch",
    "20",
    "--seed",
    "3",
    "--threads",
    "2",
];

#[test]
fn valid_data_file_equals_held_out_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let d = potential_data::embedded_digits().subset_classes(&[1, 7, 9]);
    let y = d.labels().to_vec(); // 1 → 0, 7 → 1, 9 → 2
    let (n, dim, nv) = (d.n(), d.d(), 90);
    let x = d.features().as_slice();
    let cut = n - nv;
    potential_data::write_npy_f32(p("all.npy"), x, &[n, dim]).unwrap();
    potential_data::write_npy_labels(p("all-y.npy"), &y).unwrap();
    potential_data::write_npy_f32(p("tr.npy"), &x[..cut * dim], &[cut, dim]).unwrap();
    potential_data::write_npy_labels(p("tr-y.npy"), &y[..cut]).unwrap();
    potential_data::write_npy_f32(p("va.npy"), &x[cut * dim..], &[nv, dim]).unwrap();
    potential_data::write_npy_labels(p("va-y.npy"), &y[cut..]).unwrap();

    let run = |extra: &[&str], out: &Path| {
        let mut args = vec!["csae", "train"];
        args.extend_from_slice(extra);
        args.extend_from_slice(TRAIN);
        args.extend_from_slice(&["--out", s(out)]);
        let o = potential(&args);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let held = p("held.safetensors");
    let file = p("file.safetensors");
    let e1 = run(&["--data", s(&p("all.npy")), "--labels", s(&p("all-y.npy")), "--valid-rows", "90"], &held);
    let e2 = run(
        &[
            "--data",
            s(&p("tr.npy")),
            "--labels",
            s(&p("tr-y.npy")),
            "--valid-data",
            s(&p("va.npy")),
            "--valid-labels",
            s(&p("va-y.npy")),
        ],
        &file,
    );
    let all_rows = format!("refit on all {n} rows");
    assert!(e1.contains(&all_rows) && e2.contains(&all_rows), "{e1}\n{e2}");
    let chosen = |e: &str| e.lines().find(|l| l.starts_with("chosen:")).map(str::to_owned);
    assert_eq!(chosen(&e1), chosen(&e2));
    let (a, b) = (Csae::load(&held).unwrap(), Csae::load(&file).unwrap());
    assert_eq!(a.class_bias(), b.class_bias());
    for (ma, mb) in a.class_models().iter().zip(b.class_models()) {
        assert_eq!(ma.weight(), mb.weight());
    }

    // Files that do not fit: wider rows, a label the training data does not have, both options.
    potential_data::write_npy_f32(p("wide.npy"), &vec![0.5; 4 * (dim + 1)], &[4, dim + 1]).unwrap();
    potential_data::write_npy_labels(p("wide-y.npy"), &[0, 1, 2, 0]).unwrap();
    potential_data::write_npy_labels(p("bad-y.npy"), &vec![3; nv]).unwrap();
    let (trx, try_, out) = (p("tr.npy"), p("tr-y.npy"), p("bad.safetensors"));
    let fails = |extra: &[&str], needle: &str| {
        let mut args = vec!["csae", "train", "--data", s(&trx), "--labels", s(&try_)];
        args.extend_from_slice(extra);
        args.extend_from_slice(TRAIN);
        args.extend_from_slice(&["--out", s(&out)]);
        let o = potential(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(needle), "{extra:?}: wanted {needle:?} in {err}");
        assert!(!out.exists());
    };
    fails(&["--valid-data", s(&p("wide.npy")), "--valid-labels", s(&p("wide-y.npy"))], "wide.npy");
    fails(&["--valid-data", s(&p("va.npy")), "--valid-labels", s(&p("bad-y.npy"))], "label 3");
    fails(&["--valid-data", s(&p("va.npy")), "--valid-rows", "10"], "--valid-rows");
    fails(&["--lr-schedule", "cosine"], "--lr-schedule cosine");
}

/// `--pretrain-only` then `--pretrained P`: the same model as one run that pretrains and
/// finetunes (same seed), without validation rows, with them, and with the Sec. 4.4 selection
/// under both `--pretrain-on` choices (`train`: one file pretrained on the training rows for the
/// selection, one on train + validation for the refit, `--pretrained-all`; `all`: one file on
/// train + validation for both). A file that does not fit the run — other sizes, activation, the
/// wrong rows for its role, a pair pretrained differently — is refused with its path in the message.
#[test]
fn pretrain_once_finetune_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let d = potential_data::embedded_digits().subset_classes(&[0, 6]);
    let y = d.labels().to_vec(); // 0 → 0, 6 → 1
    potential_data::write_npy_f32(p("x.npy"), d.features().as_slice(), &[d.n(), d.d()]).unwrap();
    potential_data::write_npy_labels(p("y.npy"), &y).unwrap();
    let (xp, yp) = (p("x.npy"), p("y.npy"));
    let run = |extra: &[&str], out: &Path| {
        let mut args = vec!["csae", "train", "--data", s(&xp), "--labels", s(&yp)];
        args.extend_from_slice(extra);
        // TRAIN without its --grid-lr: plain finetuning unless a case adds the selection.
        let grid = TRAIN.iter().position(|&a| a == "--grid-lr").unwrap();
        args.extend(TRAIN.iter().enumerate().filter(|(j, _)| *j != grid && *j != grid + 1).map(|(_, a)| *a));
        args.extend_from_slice(&["--out", s(out)]);
        potential(&args)
    };
    let ok = |extra: &[&str], out: &Path| {
        let o = run(extra, out);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let fails = |extra: &[&str], needles: &[&str]| {
        let out = p("bad.safetensors");
        let o = run(extra, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} should fail");
        for n in needles {
            assert!(err.contains(n), "{extra:?}: wanted {n:?} in {err}");
        }
        assert!(!out.exists());
    };
    let (pre, pre_tr, pre_all) = (p("pre.safetensors"), p("pre-tr.safetensors"), p("pre-all.safetensors"));
    let v = ["--valid-rows", "40"];
    ok(&["--pretrain-only"], &pre);
    let e = ok(&[&["--pretrain-only"], &v[..]].concat(), &pre_tr);
    assert!(e.contains("the training rows only"), "{e}");
    ok(&[&["--pretrain-only", "--pretrain-on", "all"], &v[..]].concat(), &pre_all);
    for (file, rows, on) in [
        (&pre, d.n(), "every row"),
        (&pre_tr, d.n() - 40, "training rows only"),
        (&pre_all, d.n(), "validation rows"),
    ] {
        let m = Csae::load(file).unwrap();
        assert!(m.class_bias().iter().all(|&c| c == 0.0));
        let prov = m.provenance().unwrap();
        assert!(
            prov.contains("not finetuned") && prov.contains(&format!("\"rows\":{rows}")) && prov.contains(on),
            "{prov}"
        );
    }
    let (tr, all) = (s(&pre_tr), s(&pre_all));
    let sel = ["--grid-lr", "0.03,0.1", "--valid-rows", "40"];
    let sel_all = ["--grid-lr", "0.03,0.1", "--valid-rows", "40", "--pretrain-on", "all"];
    let cases: [(&[&str], Vec<&str>); 4] = [
        (&["--lr", "0.05"], vec!["--pretrained", s(&pre)]),
        (&["--lr", "0.05", "--valid-rows", "40"], vec!["--pretrained", tr]),
        (&sel, vec!["--pretrained", tr, "--pretrained-all", all]),
        (&sel_all, vec!["--pretrained", all]),
    ];
    for (i, (extra, files)) in cases.iter().enumerate() {
        let (one, two) = (p(&format!("one{i}.safetensors")), p(&format!("two{i}.safetensors")));
        ok(extra, &one);
        ok(&[extra, &files[..]].concat(), &two);
        let (a, b) = (Csae::load(&one).unwrap(), Csae::load(&two).unwrap());
        assert_eq!(a.class_bias(), b.class_bias(), "{extra:?}");
        for (ma, mb) in a.class_models().iter().zip(b.class_models()) {
            assert_eq!(ma.weight(), mb.weight(), "{extra:?}");
        }
    }
    // Without selection, --pretrain-on all finetunes from the train + validation pretraining (what
    // --pretrain-only wrote before the option), although a one-shot run pretrains on its
    // training rows only.
    ok(
        &["--lr", "0.05", "--valid-rows", "40", "--pretrain-on", "all", "--pretrained", all],
        &p("all-plain.safetensors"),
    );
    // A file written before --pretrain-on (no row count) holds train + validation pretraining.
    let legacy = p("legacy.safetensors");
    let mut m = Csae::load(&pre_all).unwrap();
    let mut prov: serde_json::Value = serde_json::from_str(m.provenance().unwrap()).unwrap();
    prov.as_object_mut().unwrap().remove("rows");
    m.set_provenance(Some(prov.to_string()));
    m.save(&legacy).unwrap();
    let lg = s(&legacy);
    ok(&[&sel_all[..], &["--pretrained", lg]].concat(), &p("legacy-all.safetensors"));
    ok(&[&sel[..], &["--pretrained", tr, "--pretrained-all", lg]].concat(), &p("legacy-refit.safetensors"));
    fails(
        &[&sel[..], &["--pretrained", lg, "--pretrained-all", all]].concat(),
        &["legacy.safetensors", "written before"],
    );

    // Files in the wrong role, missing or extra files.
    fails(&[&sel[..], &["--pretrained", tr]].concat(), &["--pretrained-all", "--pretrain-on all"]);
    fails(
        &[&sel[..], &["--pretrained", all, "--pretrained-all", all]].concat(),
        &["pre-all.safetensors", "rows"],
    );
    fails(
        &[&sel[..], &["--pretrained", tr, "--pretrained-all", tr]].concat(),
        &["--pretrained-all", "pre-tr.safetensors"],
    );
    fails(&[&sel_all[..], &["--pretrained", tr]].concat(), &["pre-tr.safetensors", "--pretrain-on all"]);
    fails(&[&sel_all[..], &["--pretrained", all, "--pretrained-all", all]].concat(), &["give it alone"]);
    fails(
        &["--lr", "0.05", "--valid-rows", "40", "--pretrained", all],
        &["pre-all.safetensors", "training rows"],
    );
    fails(
        &["--lr", "0.05", "--valid-rows", "40", "--pretrained", tr, "--pretrained-all", all],
        &["does not refit"],
    );
    fails(&[&sel[..], &["--pretrained-all", all]].concat(), &["--pretrained"]);
    // A refit file pretrained with other settings than the selection's.
    let other = p("pre-all-other.safetensors");
    ok(&["--pretrain-only", "--pretrain-on", "all", "--valid-rows", "40", "--pretrain-lr", "0.02"], &other);
    fails(
        &[&sel[..], &["--pretrained", tr, "--pretrained-all", s(&other)]].concat(),
        &["different settings"],
    );

    fails(
        &["--pretrained", s(&pre), "--grid-hidden", "6,7", "--valid-rows", "40", "--pretrain-on", "all"],
        &["pre.safetensors", "hiddens"],
    );
    fails(&["--pretrained", s(&pre), "--activation", "tanh"], &["activation"]);
    fails(&["--pretrain-only", "--grid-hidden", "6,7", "--valid-rows", "40"], &["--pretrain-only"]);
}

/// `--pretrain-renormalize` (Sec. 4.3): after pretraining every filter of a class model has that
/// model's mean filter norm; without the flag the norms differ (the factored model refuses it:
/// `csae_factored.rs`).
#[test]
fn pretrain_renormalize_equalises_filter_norms() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let d = potential_data::embedded_digits().subset_classes(&[2, 3]);
    let y = d.labels().to_vec(); // 2 → 0, 3 → 1
    potential_data::write_npy_f32(p("x.npy"), d.features().as_slice(), &[d.n(), d.d()]).unwrap();
    potential_data::write_npy_labels(p("y.npy"), &y).unwrap();
    let (xp, yp) = (p("x.npy"), p("y.npy"));
    let spread = |extra: &[&str], out: &Path| -> f64 {
        let mut args = vec!["csae", "train", "--data", s(&xp), "--labels", s(&yp)];
        args.extend_from_slice(&["--hidden", "6", "--contractive", "0.1", "--pretrain-epochs", "3"]);
        args.extend_from_slice(&["--pretrain-lr", "0.1", "--batch", "20", "--seed", "4", "--pretrain-only"]);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", s(out)]);
        let o = potential(&args);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        let m = Csae::load(out).unwrap();
        let mut worst = 0.0f64;
        for cm in m.class_models() {
            let norms: Vec<f64> = cm
                .weight()
                .chunks(cm.visible())
                .map(|w| w.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt())
                .collect();
            let mean = norms.iter().sum::<f64>() / norms.len() as f64;
            worst = norms.iter().fold(worst, |acc, n| acc.max((n - mean).abs() / mean));
        }
        worst
    };
    let plain = spread(&[], &p("plain.safetensors"));
    let renorm = spread(&["--pretrain-renormalize"], &p("renorm.safetensors"));
    assert!(renorm < 1e-5, "renormalised filters differ from their mean norm by {renorm}");
    assert!(plain > 1e-3, "without the flag the norms should differ (spread {plain})");
}
