//! Model files: arbitrary bytes given to the safetensors model loader must give a valid model or a
//! typed error, never a panic; a model that loads scores a fixed input without panicking, and
//! survives a save/load round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use potential_models::TiedAutoencoder;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = TiedAutoencoder::from_safetensors_bytes(data) else { return };
    let d = model.visible();
    if d > 4096 || model.hidden() > 4096 {
        return;
    }
    // Loading validates finiteness, so scoring a mid-range input is an Ok value or a typed error.
    let x = vec![0.5f32; d];
    let _ = model.energy(&x);
    let _ = model.laplacian(&x);
    let bytes = model.to_safetensors_bytes().expect("a loaded model serialises");
    let back = TiedAutoencoder::from_safetensors_bytes(&bytes).expect("a saved model loads");
    assert_eq!(back.weight(), model.weight());
    assert_eq!(back.hidden_bias(), model.hidden_bias());
    assert_eq!(back.visible_bias(), model.visible_bias());
    assert_eq!((back.activation(), back.output()), (model.activation(), model.output()));
});
