//! `potential inspect`: what a model file holds.

use crate::error::Result;
use potential_models::TiedAutoencoder;
use std::path::PathBuf;

/// Arguments of `potential inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// Model file (safetensors, format `potential.tied-autoencoder`).
    #[arg(value_name = "M.safetensors")]
    pub model: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// min, mean, max of a slice (NaN-free: models are validated on load).
fn stats(v: impl IntoIterator<Item = f64>) -> (f64, f64, f64) {
    let (mut lo, mut hi, mut sum, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for x in v {
        lo = lo.min(x);
        hi = hi.max(x);
        sum += x;
        n += 1;
    }
    if n == 0 {
        (f64::NAN, f64::NAN, f64::NAN)
    } else {
        (lo, sum / n as f64, hi)
    }
}

/// Run `potential inspect`.
pub fn run(args: InspectArgs) -> Result<()> {
    let model = TiedAutoencoder::load(&args.model)?;
    let norms: Vec<f64> = model.filter_norms_sq().into_iter().map(f64::sqrt).collect();
    let (nlo, nmean, nhi) = stats(norms.iter().copied());
    let (hlo, hmean, hhi) = stats(model.hidden_bias().iter().map(|&v| v as f64));
    let (vlo, vmean, vhi) = stats(model.visible_bias().iter().map(|&v| v as f64));
    let params = model.weight().len() + model.hidden() + model.visible();
    if args.json {
        let prov = model.provenance().map(|p| {
            serde_json::from_str::<serde_json::Value>(p)
                .unwrap_or_else(|_| serde_json::Value::String(p.into()))
        });
        let triple =
            |(lo, mean, hi): (f64, f64, f64)| serde_json::json!({"min": lo, "mean": mean, "max": hi});
        let v = serde_json::json!({
            "path": args.model.display().to_string(),
            "format": potential_models::TIED_FORMAT,
            "activation": model.activation().to_string(),
            "output": model.output().to_string(),
            "hidden": model.hidden(),
            "visible": model.visible(),
            "parameters": params,
            "filter_norm": triple((nlo, nmean, nhi)),
            "hidden_bias": triple((hlo, hmean, hhi)),
            "visible_bias": triple((vlo, vmean, vhi)),
            "provenance": prov,
        });
        crate::outln!("{v}");
        return Ok(());
    }
    crate::outln!("{}", args.model.display());
    crate::outln!("  format        {}", potential_models::TIED_FORMAT);
    crate::outln!("  activation    {}", model.activation());
    crate::outln!("  output        {}", model.output());
    crate::outln!(
        "  shape         {} hidden × {} visible ({params} parameters)",
        model.hidden(),
        model.visible()
    );
    crate::outln!("  ‖w_k‖         min {nlo:.4}  mean {nmean:.4}  max {nhi:.4}");
    crate::outln!("  hidden bias   min {hlo:.4}  mean {hmean:.4}  max {hhi:.4}");
    crate::outln!("  visible bias  min {vlo:.4}  mean {vmean:.4}  max {vhi:.4}");
    if let Some(p) = model.provenance() {
        crate::outln!("  provenance    {p}");
    }
    Ok(())
}
