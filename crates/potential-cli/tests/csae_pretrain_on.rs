//! `potential csae train --pretrain-on all` reproduces the runs made before `--pretrain-on` existed
//! bit for bit: the tensors of short seeded runs (plain selection, selection from a pretrained
//! file, factored selection, plain finetuning with validation rows) hash to the values pinned here,
//! which were measured with the code of the commit that added this test, before the option.

use std::path::Path;
use std::process::{Command, Output};

fn potential(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_potential"))
        .args(args)
        .env_remove("POTENTIAL_FORCE_PORTABLE")
        .output()
        .expect("run potential")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// FNV-1a (64 bit) of the tensor bytes of a safetensors file: everything after the 8-byte header
/// length and the JSON header (the header holds the provenance, which records the options).
fn tensor_hash(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + n..]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The options that select the protocol of the runs made before `--pretrain-on` existed.
const OLD_PROTOCOL: &[&str] = &["--pretrain-on", "all"];

const COMMON: &[&str] = &[
    "--pretrain-epochs",
    "2",
    "--finetune-epochs",
    "3",
    "--batch",
    "20",
    "--seed",
    "5",
    "--threads",
    "2",
    "--valid-rows",
    "90",
    "--quiet",
];

#[test]
fn old_protocol_runs_are_bit_identical() {
    if !potential_kernels::SimdPath::Avx2Fma.is_supported() {
        println!("skipped: the pinned bits are those of the AVX2+FMA kernels, which this CPU lacks");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let d = potential_data::embedded_digits().subset_classes(&[1, 7, 9]);
    let y = d.labels().to_vec(); // 1 → 0, 7 → 1, 9 → 2
    potential_data::write_npy_f32(p("x.npy"), d.features().as_slice(), &[d.n(), d.d()]).unwrap();
    potential_data::write_npy_labels(p("y.npy"), &y).unwrap();
    let (xp, yp) = (p("x.npy"), p("y.npy"));
    let run = |extra: &[&str], out: &Path| -> u64 {
        let mut args = vec!["csae", "train", "--data", s(&xp), "--labels", s(&yp)];
        args.extend_from_slice(extra);
        args.extend_from_slice(COMMON);
        args.extend_from_slice(OLD_PROTOCOL);
        args.extend_from_slice(&["--out", s(out)]);
        let o = potential(&args);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        tensor_hash(out)
    };
    let plain = ["--hidden", "6", "--contractive", "0.1"];
    let select: Vec<&str> = plain.iter().copied().chain(["--grid-lr", "0.03,0.1"]).collect();
    let got = [
        ("selection", run(&select, &p("select.safetensors"))),
        ("pretrain-only", run(&[&plain[..], &["--pretrain-only"]].concat(), &p("pre.safetensors"))),
        (
            "selection from --pretrained",
            run(&[&select[..], &["--pretrained", s(&p("pre.safetensors"))]].concat(), &p("from.safetensors")),
        ),
        (
            "factored selection",
            run(
                &[
                    "--factors",
                    "6",
                    "--hidden",
                    "5",
                    "--activation",
                    "tanh",
                    "--denoise",
                    "0.2",
                    "--pretrain-lr",
                    "0.003",
                    "--grid-lr",
                    "0.01,0.03",
                ],
                &p("factored.safetensors"),
            ),
        ),
        ("plain finetuning", run(&[&plain[..], &["--lr", "0.05"]].concat(), &p("plain.safetensors"))),
    ];
    let pinned: [u64; 5] =
        [0x412f9134e8e780a2, 0x3c35133f447df9ae, 0x412f9134e8e780a2, 0xafe5a01a2c1da686, 0x9ae0a157a6b80cbc];
    for (what, h) in &got {
        println!("{what}: {h:#018x}");
    }
    for ((what, h), want) in got.iter().zip(pinned) {
        assert_eq!(*h, want, "{what}: tensors hash to {h:#018x}, pinned {want:#018x}");
    }
}
