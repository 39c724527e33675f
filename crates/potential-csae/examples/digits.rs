//! Train a CSAE on the embedded UCI digits and print its test error (the library side of
//! `potential demo`). Usage: `cargo run --release -p potential-csae --example digits -- [hidden] [ft_lr] [pre_epochs] [ft_epochs] [wd] [variant]`.
use potential_csae::{train, CsaeConfig, Event, FinetuneConfig, Variant};
use potential_data::embedded_digits;
use potential_train::TrainConfig;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_owned());
    let hidden: usize = arg(1, "100").parse()?;
    let lr: f32 = arg(2, "0.01").parse()?;
    let pe: usize = arg(3, "30").parse()?;
    let fe: usize = arg(4, "30").parse()?;
    let wd: f32 = arg(5, "0").parse()?;
    let variant: Variant = arg(6, "log").parse()?;
    let plr: f32 = arg(7, "0.01").parse()?;
    let lam: f32 = arg(8, "0.5").parse()?;
    let t0 = Instant::now();
    let digits = embedded_digits();
    let digits = if std::env::var("SHUF").is_ok() {
        let mut idx: Vec<usize> = (0..digits.n()).collect();
        let mut st = 12345u64;
        for i in (1..idx.len()).rev() {
            st = st.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            idx.swap(i, ((st >> 33) % (i as u64 + 1)) as usize);
        }
        digits.select(&idx)
    } else {
        digits
    };
    let (trainval, test) = digits.split_tail(297)?;
    let (tr, va) = trainval.split_tail(300)?;
    let cfg = CsaeConfig {
        hidden,
        pretrain: Some(TrainConfig {
            epochs: pe,
            batch_size: 20,
            learning_rate: plr,
            contractive: lam,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: fe,
            batch_size: 20,
            learning_rate: lr,
            weight_decay: wd,
            variant,
            ..FinetuneConfig::default()
        },
        ..CsaeConfig::default()
    };
    let obs = |e: Event<'_>| match e {
        Event::FinetuneEpoch(r) => eprintln!(
            "ep {:3} loss {:.4} train {:.4} valid {:?}",
            r.epoch, r.loss, r.train_error, r.valid_error
        ),
        Event::PretrainDone { class, seconds } => eprintln!("class {class} pretrained in {seconds:.2}s"),
        _ => {}
    };
    let (model, rep) = train(&cfg, &tr, Some(&va), &obs)?;
    let x = potential_csae::features_view(&test);
    let ev = model.evaluate(x, test.labels())?;
    println!(
        "best epoch {:?} valid {:?}; test error {:.2}% ({} / {}) in {:.1}s",
        rep.best_epoch,
        rep.best_valid_error,
        100.0 * ev.error_rate,
        ev.errors,
        ev.n,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
