//! The model writer's temporary file (`TiedAutoencoder::save`): created next to the target, under a
//! fresh name that never replaces an existing file. Its own test binary with one test, because it
//! relies on process-wide state: the writer's counter of temporary names starts at 0 here, and
//! the last step changes the working directory.

use potential_activations::ActivationKind;
use potential_models::{Output, TiedAutoencoder};

#[test]
fn the_temporary_file_lives_beside_the_target_and_never_replaces_a_file() {
    let m =
        TiedAutoencoder::new(vec![0.5, -0.25], vec![0.1], vec![0.0, 0.2], ActivationKind::Tanh, Output::Real)
            .unwrap();
    // What a load gives back: the model with the provenance the writer records.
    let same = |p: &std::path::Path| TiedAutoencoder::load(p).unwrap().weight() == m.weight();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.safetensors");
    // Stale temporary files under the first two names this process would use (a crashed run of a
    // process with the same id): the writer takes the next name and leaves them alone.
    let pid = std::process::id();
    let stale: Vec<_> = (0..2).map(|n| dir.path().join(format!(".potential-model-{pid}.{n}.tmp"))).collect();
    for (i, p) in stale.iter().enumerate() {
        std::fs::write(p, format!("stale {i}")).unwrap();
    }
    m.save(&target).unwrap();
    assert!(same(&target));
    for (i, p) in stale.iter().enumerate() {
        assert_eq!(std::fs::read_to_string(p).unwrap(), format!("stale {i}"));
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    // The target and the two stale files, no temporary left behind.
    assert_eq!(left.len(), 3, "{left:?}");
    // Any other failure to create the temporary file is an error at once (not a search for a
    // free name): here its directory does not exist.
    assert!(m.save(dir.path().join("missing").join("m.safetensors")).is_err());

    // The temporary file goes in the target's directory, not the working directory: with a working
    // directory that no longer exists (nothing can be created there), a save elsewhere succeeds.
    #[cfg(target_os = "linux")]
    {
        let gone = tempfile::tempdir().unwrap();
        std::env::set_current_dir(gone.path()).unwrap();
        std::fs::remove_dir(gone.path()).unwrap();
        let other = dir.path().join("sub");
        std::fs::create_dir(&other).unwrap();
        m.save(other.join("m.safetensors")).unwrap();
        assert!(same(&other.join("m.safetensors")));
        assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
    }
}
