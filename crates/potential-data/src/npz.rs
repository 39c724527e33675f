//! NumPy `.npz` archives: a zip of `.npy` members, stored or deflated (`numpy.savez`,
//! `numpy.savez_compressed`). `table.npz` names its member `X` (features) or `y` (labels);
//! `table.npz:NAME` names the member `NAME` (or `NAME.npy`).
//!
//! Each member is read once and bounded: its declared uncompressed size must equal what its `.npy`
//! header's shape and dtype make, and no more than that is ever decompressed (the zip reader checks
//! the CRC at the end). Errors name the archive and the member (`table.npz:X`).

use crate::error::{DataError, Result};
use std::path::{Path, PathBuf};
#[cfg(feature = "zip")]
use {
    crate::error::io_err,
    crate::features::Features,
    crate::npy::{features_from_payload, labels_from_payload, parse_npy_header, NpyHeader},
    std::io::{Read, Seek},
};

/// The member a features file `table.npz` stands for.
pub const NPZ_FEATURES: &str = "X";
/// The member a labels file `table.npz` stands for.
pub const NPZ_LABELS: &str = "y";

/// Split `table.npz:NAME` into the archive and the member name; `table.npz` alone gives `None` for
/// the member. A path that exists as given is a file, whatever its colons. Returns `None` for paths
/// that are not `.npz` archives by name.
pub fn split_npz_path(path: &Path) -> Option<(PathBuf, Option<String>)> {
    let is_npz = |p: &str| p.to_ascii_lowercase().ends_with(".npz");
    let s = path.to_str()?;
    if path.exists() {
        return is_npz(s).then(|| (path.to_path_buf(), None));
    }
    match s.rsplit_once(':') {
        Some((file, name)) if is_npz(file) && !name.is_empty() => {
            Some((PathBuf::from(file), Some(name.to_owned())))
        }
        _ => is_npz(s).then(|| (path.to_path_buf(), None)),
    }
}

#[cfg(feature = "zip")]
fn zip_err(label: &Path, reason: impl std::fmt::Display) -> DataError {
    DataError::Zip { path: label.to_path_buf(), reason: reason.to_string() }
}

/// Read member `name` (or `name.npy`) of the archive `reader` (labelled `label` in errors): its
/// parsed header and payload bytes, bounded by its header. With `name` = `None`, `default` is
/// taken, or the only member of a one-member archive.
///
/// # Errors
/// [`DataError::Zip`] (not a zip, member missing — the message lists the members —, unsupported
/// compression, a size that disagrees with the header, truncated or corrupt data), and the `.npy`
/// header errors, all naming `archive:member`.
#[cfg(feature = "zip")]
pub fn read_npz_member<R: Read + Seek>(
    reader: R,
    label: &Path,
    name: Option<&str>,
    default: &str,
) -> Result<(PathBuf, NpyHeader, Vec<u8>)> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| zip_err(label, format!("not a readable .npz: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|c| c.into_owned()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| zip_err(label, format!("unreadable member name: {e}")))?;
    let wanted = name.unwrap_or(default);
    let pick = names
        .iter()
        .find(|n| *n == wanted || n.strip_suffix(".npy") == Some(wanted))
        .or_else(|| if name.is_none() && names.len() == 1 { names.first() } else { None })
        .cloned()
        .ok_or_else(|| zip_err(label, format!("no member `{wanted}` (members: {})", names.join(", "))))?;
    let member_label = PathBuf::from(format!("{}:{}", label.display(), pick.trim_end_matches(".npy")));
    let mut f = zip.by_name(&pick).map_err(|e| zip_err(&member_label, e))?;
    if !matches!(f.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated) {
        return Err(zip_err(
            &member_label,
            format!("compression {:?} is not supported (stored or deflated)", f.compression()),
        ));
    }
    let declared = f.size();
    // The header first (its length is in its first 10 bytes), then exactly the payload it declares.
    let mut head = Vec::with_capacity(128);
    (&mut f).take(10).read_to_end(&mut head).map_err(io_err(&member_label))?;
    let total = match parse_npy_header(&head) {
        Err(DataError::Truncated { what: ".npy header", expected, .. }) => expected,
        Err(e) => return Err(crate::idx::with_path(e, &member_label)),
        Ok(h) => h.data_offset as u64,
    };
    if total > declared {
        return Err(zip_err(
            &member_label,
            format!("member of {declared} bytes is shorter than its .npy header ({total})"),
        ));
    }
    (&mut f).take(total - head.len() as u64).read_to_end(&mut head).map_err(io_err(&member_label))?;
    let header = parse_npy_header(&head).map_err(|e| crate::idx::with_path(e, &member_label))?;
    let want = header.data_offset as u64 + header.payload_len as u64;
    if declared != want {
        return Err(zip_err(
            &member_label,
            format!("member holds {declared} bytes but its .npy header describes {want}"),
        ));
    }
    let mut payload = Vec::new();
    payload.try_reserve_exact(header.payload_len).map_err(|_| {
        zip_err(&member_label, format!("cannot allocate {} bytes for the array", header.payload_len))
    })?;
    (&mut f)
        .take(header.payload_len as u64)
        .read_to_end(&mut payload)
        .map_err(|e| zip_err(&member_label, e))?;
    if payload.len() != header.payload_len {
        return Err(DataError::Truncated {
            path: member_label,
            what: ".npz member payload",
            expected: header.payload_len as u64,
            found: payload.len() as u64,
        });
    }
    // Drain to the end so the zip reader verifies the CRC (nothing is left: the sizes agree).
    std::io::copy(&mut f, &mut std::io::sink()).map_err(|e| zip_err(&member_label, e))?;
    Ok((member_label, header, payload))
}

#[cfg(feature = "zip")]
fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    Ok(std::io::BufReader::new(std::fs::File::open(path).map_err(io_err(path))?))
}

/// Read a features member of an `.npz` archive (default [`NPZ_FEATURES`]) as an owned [n, d]
/// matrix: any supported dtype, C or 2-D Fortran order; values finite.
///
/// # Errors
/// As [`read_npz_member`]; [`DataError::BadShape`], [`DataError::NonFinite`] naming the member.
#[cfg(feature = "zip")]
pub fn read_npz_features(path: impl AsRef<Path>, member: Option<&str>) -> Result<Features> {
    let path = path.as_ref();
    let (label, header, bytes) = read_npz_member(open(path)?, path, member, NPZ_FEATURES)?;
    features_from_payload(&header, &bytes, &label)
}

/// Read a labels member of an `.npz` archive (default [`NPZ_LABELS`]): shape `[n]` or `[n, 1]`,
/// integral values (floats such as ADBench's 0.0/1.0 included).
///
/// # Errors
/// As [`read_npz_member`]; [`DataError::BadShape`], [`DataError::BadLabel`] naming the member and row.
#[cfg(feature = "zip")]
pub fn read_npz_labels(path: impl AsRef<Path>, member: Option<&str>) -> Result<Vec<u32>> {
    let path = path.as_ref();
    let (label, header, bytes) = read_npz_member(open(path)?, path, member, NPZ_LABELS)?;
    labels_from_payload(&header, &bytes, &label)
}

/// Without the `zip` feature an `.npz` archive cannot be read: [`DataError::Zip`] says which
/// feature to enable.
#[cfg(not(feature = "zip"))]
pub(crate) fn not_compiled<T>(path: impl AsRef<Path>, _member: Option<&str>) -> Result<T> {
    Err(DataError::Zip {
        path: path.as_ref().to_path_buf(),
        reason: "reading .npz archives needs the `zip` feature of potential-data".into(),
    })
}
